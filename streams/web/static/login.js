"use strict";
// The reason a login was refused, from the query string the server redirected with.
(() => {
  const query = new URLSearchParams(window.location.search);
  const message = document.getElementById("message");
  if (query.has("failed")) {
    message.textContent = "操作员或口令不对 · operator id or passphrase not right";
  } else if (query.has("locked")) {
    message.textContent = "错误次数过多，请五分钟后再试 · too many wrong passphrases: try again in five minutes";
  } else if (query.has("expired")) {
    message.textContent = "会话已过期 · your session ended: log in again";
  } else {
    return;
  }
  message.hidden = false;
})();
