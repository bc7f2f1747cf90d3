using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// Sign-out in the OIDC modes ends the provider's session too (OpenID Connect RP-Initiated Logout):
///
///   POST /account/signout --> portal and pending cookies cleared --> "Signing out…" page --> provider's
///   end_session_endpoint?id_token_hint=…&amp;post_logout_redirect_uri=…/signout-callback-oidc&amp;state=…
///   --> /signout-callback-oidc (the handler unprotects state) --> /account/signin?signedout=1
///
/// The provider's ID token (the hint) is kept in the AuthenticationProperties of our own cookies, never in claims:
/// OnTokenValidated stores it in the pending or first-factor cookie, and every later sign-in (TOTP code, session
/// refresh after enrollment) carries it over. Access and refresh tokens are never kept (SaveTokens stays false).
/// Without an end_session_endpoint in the provider's metadata, or when the metadata cannot be read, only the portal
/// session ends and the sign-in page says so.
/// </summary>
public static class OidcSignOut
{
    /// <summary>The portal session and the provider's session ended.</summary>
    public const string SignedOutPath = "/account/signin?signedout=1";

    /// <summary>The portal session ended; the provider offers no end-session endpoint (or could not be reached).</summary>
    public const string SignedOutOfPortalOnlyPath = "/account/signin?signedout=portal";

    /// <summary>
    /// Properties for one of our cookies (pending or session) that keep the provider's ID token; <see langword="null"/>
    /// (nothing to keep) without one.
    /// </summary>
    public static AuthenticationProperties? KeepingIdToken(string? idToken)
    {
        if (string.IsNullOrEmpty(idToken))
        {
            return null;
        }

        var properties = new AuthenticationProperties();
        properties.StoreTokens([new AuthenticationToken { Name = OpenIdConnectParameterNames.IdToken, Value = idToken }]);
        return properties;
    }

    /// <summary>Carries the ID token of the cookie being replaced (pending or first-factor) over to the new session.</summary>
    public static AuthenticationProperties? KeepingIdToken(AuthenticationProperties? previous) =>
        KeepingIdToken(previous?.GetTokenValue(OpenIdConnectParameterNames.IdToken));

    /// <summary>
    /// True when the provider's metadata names an end_session_endpoint. Unreachable metadata counts as none: signing
    /// out of the portal must never depend on the provider.
    /// </summary>
    public static async Task<bool> ProviderCanEndSessionAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OidcAuthentication.Scheme);
        try
        {
            var configuration = options.Configuration
                ?? (options.ConfigurationManager is { } manager ? await manager.GetConfigurationAsync(http.RequestAborted) : null);
            return !string.IsNullOrEmpty(configuration?.EndSessionEndpoint);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignOut))
                .LogWarning(ex, "The identity provider's metadata could not be read; signed out of the portal only, the provider's session is not ended.");
            return false;
        }
    }

    /// <summary>The sign-out side of the "oidc" scheme, for both OIDC modes (after Microsoft.Identity.Web's configuration).</summary>
    internal static void Configure(OpenIdConnectOptions options)
    {
        // Where the handler looks for the id_token_hint (GetTokenAsync), and what /signout-oidc would clear.
        options.SignOutScheme = AuthenticationFeature.Scheme;

        var redirectForSignOut = options.Events.OnRedirectToIdentityProviderForSignOut;
        options.Events.OnRedirectToIdentityProviderForSignOut = async context =>
        {
            await redirectForSignOut(context);
            if (context.Handled || string.IsNullOrEmpty(context.ProtocolMessage.IssuerAddress))
            {
                return;
            }

            // The handler would answer the sign-out form post with a 302 to the provider, and the browser would refuse
            // to follow it: CSP form-action 'self' also covers the redirects of a form submission. A page of ours that
            // moves on is a plain navigation. What the handler does after this event is done here first: the
            // post-sign-out target travels in state, protected by the handler's data format.
            var message = context.ProtocolMessage;
            if (!string.IsNullOrEmpty(message.State))
            {
                context.Properties.Items[OpenIdConnectDefaults.UserstatePropertiesKey] = message.State;
            }

            message.State = context.Options.StateDataFormat.Protect(context.Properties);
            context.HandleResponse();
            await SameSiteNavigation.WritePageAsync(context.Response, message.CreateLogoutRequestUrl(), "Signing out…");
        };

        var signedOutCallback = options.Events.OnSignedOutCallbackRedirect;
        options.Events.OnSignedOutCallbackRedirect = async context =>
        {
            await signedOutCallback(context);
            if (context.Result is not null)
            {
                return;
            }

            // Only a state this portal protected carries a target. Without one (none sent back, or one that does not
            // unprotect) the handler would answer with an empty page; the sign-in page is the better place to land.
            var target = context.Properties?.RedirectUri;
            context.Response.Redirect(string.IsNullOrEmpty(target) ? "/account/signin" : AccountEndpoints.LocalUrl(target));
            context.HandleResponse();
        };
    }
}

/// <summary>A small page that moves the browser on to a URL, instead of a redirect.</summary>
internal static class SameSiteNavigation
{
    /// <summary>
    /// A redirect carries on the navigation that led here: after a cross-site post (the provider's form_post to
    /// /signin-oidc) the SameSite=Strict session cookie would not be sent to the next page, and after our own form
    /// post CSP form-action 'self' forbids leaving the site. A navigation started by a page of ours has neither problem.
    /// </summary>
    public static async Task WritePageAsync(HttpResponse response, string url, string title)
    {
        var encodedUrl = System.Net.WebUtility.HtmlEncode(url);
        var encodedTitle = System.Net.WebUtility.HtmlEncode(title);
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.Location = default; // the cookie handler sets one on its logout path when asked (?ReturnUrl=)
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        await response.WriteAsync(
            $"<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"0;url={encodedUrl}\"><title>{encodedTitle}</title></head>"
            + $"<body><p>{encodedTitle} <a href=\"{encodedUrl}\">Continue</a></p></body></html>");
    }
}
