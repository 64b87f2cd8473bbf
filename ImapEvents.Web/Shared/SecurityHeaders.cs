using System.Security.Cryptography;
using Microsoft.AspNetCore.HostFiltering;

namespace ImapEvents.Web.Shared;

/// <summary>
/// The response headers that keep a browser from being turned against the app: framing, MIME sniffing,
/// referrers, script injection (Content-Security-Policy) and, over HTTPS, downgrades (HSTS).
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "ImapEvents.ScriptNonce";

    /// <summary>
    /// The page's own scripts, plus the one inline script Blazor writes (the import map), allowed by a nonce
    /// made for each response. MudBlazor positions popovers and sizes inputs with inline styles, so styles
    /// may be inline; the circuit's WebSocket is same-origin.
    /// </summary>
    public static string ContentSecurityPolicy(string nonce) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "object-src 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";

    /// <summary>The nonce of this response, for an inline script the page must write.</summary>
    public static string Nonce(HttpContext context) => context.Items[NonceKey] as string ?? "";

    /// <summary>
    /// Hosts the app answers to: AllowedHosts (scripts/run.sh sets the ones it listens on), plus the host of
    /// App:PublicUrl. Any other Host header is refused, so a forged one is never reflected in a redirect or link.
    /// </summary>
    public static void AddAllowedHosts(IServiceCollection services) =>
        services.AddOptions<HostFilteringOptions>().PostConfigure<IConfiguration>((options, configuration) =>
        {
            if (Uri.TryCreate(configuration["App:PublicUrl"], UriKind.Absolute, out var publicUrl)
                && !options.AllowedHosts.Contains("*")
                && !options.AllowedHosts.Contains(publicUrl.Host, StringComparer.OrdinalIgnoreCase))
            {
                // The default binder fills a fixed-size array.
                options.AllowedHosts = [.. options.AllowedHosts, publicUrl.Host];
            }
        });

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            // Only on HTTPS responses (including through a proxy that says so) and never for localhost.
            app.UseHsts();
        }

        app.Use((context, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
            // No page of this app, the job dashboard included, may be framed by another (clickjacking).
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            // Addresses in this app carry mailbox and event ids; other sites learn nothing from a followed link.
            headers["Referrer-Policy"] = "same-origin";
            return next(context);
        });
        return app;
    }
}
