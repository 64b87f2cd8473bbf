// Names the browser's time zone to the server in a cookie, so the pages show times as the reader's own clock does.
// A file of its own, not inline: the content security policy allows scripts from this site only.
(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) {
        return;
    }

    const cookie = "ImapEvents.TimeZone=" + encodeURIComponent(zone);
    if (!document.cookie.split("; ").includes(cookie)) {
        document.cookie = cookie + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
    }
})();
