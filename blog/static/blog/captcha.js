// "New picture" for the self-hosted CAPTCHA (blog/templates/captcha/widgets/captcha.html):
// ask django-simple-captcha for another challenge and put it in place of the old one.
// An external file, so that it runs under the Content-Security-Policy.
"use strict";
document.querySelectorAll(".captcha-box").forEach((box) => {
  const button = box.querySelector(".captcha-refresh");
  const form = box.closest("form");
  if (!button || !form) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const response = await fetch(box.dataset.refreshUrl, {
        headers: { "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const challenge = await response.json();
      box.querySelector("img.captcha").src = challenge.image_url;
      const audio = box.querySelector(".captcha-audio");
      if (audio && challenge.audio_url) audio.href = challenge.audio_url;
      const key = form.querySelector('input[name$="captcha_0"]');
      if (key) key.value = challenge.key;
      const answer = form.querySelector('input[name$="captcha_1"]');
      if (answer) {
        answer.value = "";
        answer.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
});
