// Landing page: the track box opens /track/CODE.
const form = document.getElementById("track-form");
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const code = document.getElementById("track-code").value.trim().toUpperCase();
  if (code) location.href = "/track/" + encodeURIComponent(code);
});
