// Copy and download for recovery codes shown once. A module from our own origin (CSP script-src 'self').
// The download is built in the browser from text already on the page: the codes never travel to a URL.
export async function copy(text) {
    await navigator.clipboard.writeText(text);
}

export function download(fileName, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
}
