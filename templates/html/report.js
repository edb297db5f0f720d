// The language switch lands on the section being read: when it is followed, its link gets the
// anchor of the last section whose top has scrolled past the top bar. Without script the
// switch opens the other language's page, and every section carries its own link anyway.
(function () {
  "use strict";
  var sw = document.getElementById("lang-switch");
  var sections = Array.prototype.slice.call(document.querySelectorAll("main section[id], main nav[id]"));

  function current() {
    var offset = 80;
    var id = "";
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].getBoundingClientRect().top - offset <= 0) {
        id = sections[i].id;
      }
    }
    return id;
  }

  function update() {
    if (!sw) {
      return;
    }
    var id = current();
    sw.setAttribute("href", sw.getAttribute("data-base") + (id ? "#" + id : ""));
  }

  if (sw) {
    sw.addEventListener("click", update);
    sw.addEventListener("focus", update);
    sw.addEventListener("mouseenter", update);
    window.addEventListener("hashchange", update);
    window.addEventListener("load", update);
  }

})();
