// Security keys (WebAuthn): adding one (form#webauthn-register) and using one at the second
// step of a login (form#webauthn-login). The form's data-options URL gives the options as
// py_webauthn writes them (binary fields in base64url); the key's answer goes back in the
// form's hidden "credential" field, and the form is then submitted as usual.
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function showError(text) {
    var status = document.getElementById("webauthn-status");
    if (status) {
      status.textContent = text;
      status.hidden = false;
    }
  }

  function fetchOptions(form) {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    return fetch(form.dataset.options, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || "The server refused: " + response.status);
        return body;
      });
    });
  }

  function create(options) {
    var publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials),
    });
    return navigator.credentials.create({ publicKey: publicKey }).then(function (cred) {
      var transports = cred.response.getTransports ? cred.response.getTransports() : [];
      return {
        id: cred.id,
        rawId: toText(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        clientExtensionResults: cred.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(cred.response.clientDataJSON),
          attestationObject: toText(cred.response.attestationObject),
          transports: transports,
        },
      };
    });
  }

  function get(options) {
    var publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    });
    return navigator.credentials.get({ publicKey: publicKey }).then(function (cred) {
      var r = cred.response;
      return {
        id: cred.id,
        rawId: toText(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        clientExtensionResults: cred.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(r.clientDataJSON),
          authenticatorData: toText(r.authenticatorData),
          signature: toText(r.signature),
          userHandle: r.userHandle ? toText(r.userHandle) : undefined,
        },
      };
    });
  }

  function wire(form, ceremony) {
    if (!form) return;
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=credential]");
      if (field.value) return; // the key has answered: submit to the server
      event.preventDefault();
      if (!window.PublicKeyCredential) {
        showError("This browser does not support security keys (WebAuthn).");
        return;
      }
      fetchOptions(form)
        .then(ceremony)
        .then(function (answer) {
          field.value = JSON.stringify(answer);
          form.submit();
        })
        .catch(function (error) {
          showError("The security key did not answer: " + error.message);
        });
    });
  }

  wire(document.getElementById("webauthn-register"), create);
  wire(document.getElementById("webauthn-login"), get);
})();
