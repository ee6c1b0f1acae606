// The editor's live preview: the Markdown rendered by the server's own sanitizing
// renderer (POST /my/preview/), shown under the text while one types. Without
// JavaScript the preview stays hidden and the form works as before.
(function () {
  "use strict";
  var preview = document.getElementById("markdown-preview");
  var text = document.getElementById("id_text");
  if (!preview || !text || !window.fetch) return;
  var output = preview.querySelector("[data-preview-output]");
  var form = text.form;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var sent = 0;

  function render() {
    var mine = ++sent;
    var body = new FormData();
    body.append("text", text.value);
    fetch(preview.dataset.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (mine !== sent) return; // an older answer arriving late
        if (result.ok) {
          // Sanitized by the server (blog/rendering.py), as a saved post is.
          output.innerHTML = result.data.html;
        } else {
          output.textContent = result.data.error || "No preview.";
        }
      })
      .catch(function () {
        if (mine === sent) output.textContent = "The preview is unavailable right now.";
      });
  }

  preview.hidden = false;
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
  render();
})();
