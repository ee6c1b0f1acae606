"""Forms of the blog pages and of registration.

The post and comment forms only validate the shape of the input; the services
(``blog.services``) validate again with ``full_clean()`` and their errors are shown
on the fields they name.
"""

from __future__ import annotations

import logging

import django_recaptcha.fields
from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_recaptcha.widgets import ReCaptchaV2Checkbox

from config.email_addresses import email_claimed
from config.validators import deliverable_email

from . import images
from .models import (
    COMMENT_TEXT_MAX_LENGTH,
    IMAGE_ALT_MAX_LENGTH,
    POST_TITLE_MAX_LENGTH,
    Comment,
    Post,
    User,
)
from .search import SearchQuery, parse_query
from .services import MAX_TAGS_PER_POST, tag_titles_parse
from .validators import no_control_characters, publish_date_in_range

logger = logging.getLogger(__name__)


class PostForm(forms.ModelForm):
    """Title, Markdown text, an optional publish date, and tags as "a, b, c"."""

    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        validators=[no_control_characters],
        help_text=_("Comma-separated; tags that do not exist yet are created."),
    )
    publish_date = forms.DateTimeField(
        label=_("Publish date"),
        required=False,
        validators=[publish_date_in_range],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        # Says the site's zone: a writer elsewhere must not guess (docs/settings.md).
        help_text=format_lazy(
            _("Leave empty to publish now; a future date schedules the post. Time zone: {}."),
            settings.TIME_ZONE,
        ),
    )

    # An image to add with this save (docs/blog.md, "Images"): checked and prepared
    # here, before the post is saved; stored by blog.services.post_image_add.
    image = forms.FileField(
        label=_("Add an image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=_("JPEG, PNG, WebP or GIF; it is shown under the text, in upload order."),
    )
    image_alt = forms.CharField(
        label=_("Image description"),
        required=False,
        max_length=IMAGE_ALT_MAX_LENGTH,
        validators=[no_control_characters],
        help_text=_("Required with an image: its alt text, for readers who cannot see it."),
    )

    class Meta:
        model = Post
        # publish_date is not a model field of the form: empty means "now" on create
        # and "unchanged" on edit, which the services decide.
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 16})}
        help_texts = {"text": _("Markdown. HTML is limited to safe tags.")}

    def __init__(self, *args, oversized_uploads: frozenset[str] = frozenset(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # File fields the upload handler stopped reading (images.ImageUploadLimitHandler).
        self.oversized_uploads = oversized_uploads
        self.fields["title"].widget.attrs["maxlength"] = POST_TITLE_MAX_LENGTH
        if self.instance.pk:
            self.initial["tags"] = ", ".join(t.title for t in self.instance.tags.all())
            # A draft's date is when it was saved, not a choice: empty means "now" when
            # it is published, unless a date still to come was chosen.
            if not self.instance.is_draft or self.instance.publish_date > timezone.now():
                self.initial["publish_date"] = timezone.localtime(self.instance.publish_date)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("A post needs a title."), code="required")
        return title

    def clean_image(self) -> bytes | None:
        """The upload's bytes once they look like an image we take (no pixel decoded);
        ``clean()`` then prepares it."""
        if self.add_prefix("image") in self.oversized_uploads:
            raise forms.ValidationError(
                _("The image is larger than %(max)s MB."),
                code="too_large",
                params={"max": f"{settings.BLOG_IMAGE_MAX_BYTES / 1_000_000:g}"},
            )
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        data = upload.read(settings.BLOG_IMAGE_MAX_BYTES + 1)
        images.image_check(data)
        return data

    def clean(self):
        cleaned = super().clean()
        alt = (cleaned.get("image_alt") or "").strip()
        cleaned["image_alt"] = alt
        if cleaned.get("image") and not alt:
            self.add_error(
                "image_alt", forms.ValidationError(_("Describe the image."), code="required")
            )
        elif alt and "image" not in self.errors and not cleaned.get("image"):
            self.add_error("image", forms.ValidationError(_("Choose the image."), code="required"))
        elif cleaned.get("image") and not self.errors:
            # Decoded and resized only once everything else is valid, and before the
            # view's transaction (blog.services.post_image_add).
            try:
                cleaned["image"] = images.image_prepare(cleaned["image"])
            except forms.ValidationError as error:
                self.add_error("image", error)
        return cleaned

    def clean_tags(self) -> list[str]:
        titles = tag_titles_parse(self.cleaned_data["tags"])
        if len(titles) > MAX_TAGS_PER_POST:
            raise forms.ValidationError(
                _("At most %(max)d tags."), code="max_tags", params={"max": MAX_TAGS_PER_POST}
            )
        return titles


class SearchForm(forms.Form):
    """The search box: any text up to ``BLOG_SEARCH_QUERY_MAX_LENGTH`` characters;
    ``blog.search.parse_query`` keeps its letters and digits."""

    q = forms.CharField(label=_("Search"), required=False, strip=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.BLOG_SEARCH_QUERY_MAX_LENGTH
        self.fields["q"].max_length = limit
        self.fields["q"].widget.attrs.update(maxlength=limit, type="search")
        self.fields["q"].validators.append(MaxLengthValidator(limit))

    def query(self) -> SearchQuery:
        """The parsed query; an empty one when the form is not valid."""
        text = self.cleaned_data.get("q", "") if self.is_valid() else ""
        return parse_query(text)


class CommentForm(forms.ModelForm):
    """A comment's text, to write or to edit."""

    class Meta:
        model = Comment
        fields = ["text"]
        labels = {"text": _("Your comment")}
        help_texts = {"text": _("Plain text, at most %d characters.") % COMMENT_TEXT_MAX_LENGTH}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write something first."), code="required")
        return text


class NewCommentForm(CommentForm):
    """A new comment, with a honeypot: a field people never see (hidden by the
    stylesheet, out of the tab order, hidden from screen readers) that robots filling
    every input fill. ``is_robot`` is then true; the view refuses it silently."""

    HONEYPOT = "website"

    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        # No length limit: any value, however long, is a robot's (the body is bounded
        # by DATA_UPLOAD_MAX_MEMORY_SIZE), never an error a person could not see.
        strip=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get(self.HONEYPOT))


class AccountSettingsForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language of the site and of your emails"),
        choices=[("", _("The browser's language")), *settings.LANGUAGES],
        required=False,
    )

    class Meta:
        model = User
        fields = ["receives_digest", "language"]
        labels = {"receives_digest": _("Email me the weekly digest of new posts")}
        # The model's help text speaks to staff ("Send this user…"); this to the reader.
        help_texts = {
            "receives_digest": _("Once a week, the new posts of the week. Untick to stop it."),
        }


class ReCaptchaField(django_recaptcha.fields.ReCaptchaField):
    """django-recaptcha's field, where Google being unreachable is a form error too.

    The library turns an HTTP error of the verify endpoint into a form error but lets a
    network error (no route, DNS, timeout) through as a server error.
    """

    def validate(self, value) -> None:
        try:
            super().validate(value)
        except (OSError, ValueError) as error:
            logger.warning("reCAPTCHA could not be verified: %s", error)
            raise forms.ValidationError(
                self.error_messages["captcha_error"], code="captcha_error"
            ) from error


class ReCaptchaCheckbox(ReCaptchaV2Checkbox):
    """django-recaptcha's checkbox with no inline script, so it runs under the CSP.

    Its callback (``data-callback``) only logged to the console; without it Google's
    script fills the hidden field itself, which is all the form needs.
    """

    template_name = "blog/widgets/recaptcha_checkbox.html"

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("data-callback", None)
        return attrs


def captcha_field() -> forms.Field:
    """Google reCAPTCHA when both keys are set, else a self-hosted image CAPTCHA that
    needs no internet (django-simple-captcha)."""
    if settings.RECAPTCHA_PUBLIC_KEY and settings.RECAPTCHA_PRIVATE_KEY:
        return ReCaptchaField(
            label=_("Are you a person?"),
            widget=ReCaptchaCheckbox,
            public_key=settings.RECAPTCHA_PUBLIC_KEY,
            private_key=settings.RECAPTCHA_PRIVATE_KEY,
        )
    return CaptchaField(
        label=_("Type the letters in the picture"),
        error_messages={"invalid": _("The letters do not match the picture. Try the new one.")},
    )


class SignupForm(AllauthSignupForm):
    """allauth's signup (username, email, password twice) with a CAPTCHA.

    The field is chosen when the form is made, not when the module is imported, so the
    keys can change without a restart of the code that imported it (and tests can switch).

    The CAPTCHA is validated first, alone: until it passes, no other field is checked,
    so "A user is already registered with this email address" (or a taken username)
    cannot be learnt without solving it, and no lookup runs for a robot. Then the
    other fields are validated as allauth does (the CAPTCHA is not checked twice: a
    self-hosted answer is spent when it is checked).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["captcha"] = captcha_field()
        # Before allauth lower-cases it (which folds U+212A, the Kelvin sign, into "k").
        self.fields["email"].validators.append(deliverable_email)

    def validate_unique_email(self, value: str) -> str:
        # Taken only when another account holds it for real (config/email_addresses.py):
        # an address someone added to their account without verifying it is not theirs.
        if email_claimed(value):
            raise get_adapter().validation_error("email_taken")
        self.account_already_exists = False
        return get_adapter().validate_unique_email(value)

    def full_clean(self) -> None:
        if not self.is_bound:
            return super().full_clean()
        field = self.fields["captcha"]
        value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("captcha"))
        try:
            answer = field.clean(value)
        except forms.ValidationError as error:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            self.add_error("captcha", error)
            return None
        del self.fields["captcha"]
        try:
            super().full_clean()
        finally:
            self.fields["captcha"] = field
        if self.cleaned_data is not None:
            self.cleaned_data["captcha"] = answer
        return None


def form_add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
