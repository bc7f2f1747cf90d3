using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CodeRaft.Admin.TestIdentityProvider.Internal;

/// <summary>
/// The passthrough endpoints: OpenIddict validates each request (client, redirect URI, PKCE, scopes) before it
/// reaches these handlers, and turns their SignIn/SignOut/Forbid results into protocol responses.
/// </summary>
internal static class ProviderEndpoints
{
    public const string SessionScheme = "TestIdentityProvider.Session";

    private static readonly string[] GetAndPost = [HttpMethods.Get, HttpMethods.Post];

    public static void MapProviderEndpoints(this IEndpointRouteBuilder endpoints, ProviderLayout layout)
    {
        endpoints.MapMethods("/" + layout.Authorization, GetAndPost, AuthorizeAsync);
        endpoints.MapMethods("/" + layout.EndSession, GetAndPost, EndSessionAsync);
        endpoints.MapMethods("/" + layout.UserInfo, GetAndPost, UserInfoAsync);
        endpoints.MapGet("/" + layout.SignedOut, () => Results.Content(LoginPage.RenderSignedOut(), "text/html; charset=utf-8"));
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, ProviderState state)
    {
        OpenIddictRequest request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not handle the authorization request.");
        state.Record(TestIdentityProviderEventKinds.Authorize, request.ClientId, null);

        if (request[LoginPage.CancelParameter] is not null)
        {
            state.Record(TestIdentityProviderEventKinds.Cancelled, request.ClientId, null);
            return Forbid(Errors.AccessDenied, "The user cancelled the sign-in.");
        }

        TestUser? user = await ResolveUserAsync(http, request, state);
        if (user is null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "Nobody is signed in at the test identity provider.");
            }

            state.Record(TestIdentityProviderEventKinds.LoginPage, request.ClientId, null);
            string action = http.Request.PathBase + http.Request.Path;
            return Results.Content(LoginPage.Render(request, action, state.Users), "text/html; charset=utf-8");
        }

        // Like a real provider, remember who signed in: the next authorization request skips the login page,
        // and only the end-session endpoint makes it appear again.
        var session = new ClaimsIdentity([new Claim(Claims.Subject, user.Subject)], SessionScheme);
        await http.SignInAsync(SessionScheme, new ClaimsPrincipal(session));

        state.Record(TestIdentityProviderEventKinds.SignIn, request.ClientId, user.Subject);
        return Results.SignIn(
            state.CreatePrincipal(user, request.GetScopes()),
            properties: null,
            OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The button just pressed, else <c>login_hint</c>, else the provider session, unless a prompt asks for the page.</summary>
    private static async Task<TestUser?> ResolveUserAsync(HttpContext http, OpenIddictRequest request, ProviderState state)
    {
        if ((string?)request[LoginPage.UserParameter] is { } chosen)
        {
            return state.FindUser(chosen);
        }

        if (request.HasPromptValue(PromptValues.Login) || request.HasPromptValue(PromptValues.SelectAccount))
        {
            return null;
        }

        if (state.FindByHint(request.LoginHint) is { } hinted)
        {
            return hinted;
        }

        AuthenticateResult session = await http.AuthenticateAsync(SessionScheme);
        return session.Succeeded ? state.FindUser(session.Principal.FindFirst(Claims.Subject)?.Value) : null;
    }

    private static async Task<IResult> EndSessionAsync(HttpContext http, ProviderState state)
    {
        OpenIddictRequest request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not handle the end-session request.");

        AuthenticateResult session = await http.AuthenticateAsync(SessionScheme);

        // For an end-session request, OpenIddict's authentication result carries the id_token_hint it has already
        // validated (a hint that does not validate never gets here: see RejectIdentityToken at start-up).
        AuthenticateResult hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        string? hintSubject = hint.Principal?.GetClaim(Claims.Subject);
        state.Record(new TestIdentityProviderEvent(
            TestIdentityProviderEventKinds.EndSession, request.ClientId, session.Principal?.FindFirst(Claims.Subject)?.Value)
        {
            IdTokenHintSubject = hintSubject,
            IdTokenHintAudience = hintSubject is null ? null : string.Join(' ', hint.Principal!.GetAudiences()),
        });
        await http.SignOutAsync(SessionScheme);

        // OpenIddict redirects to the validated post_logout_redirect_uri; without one, to the provider's own page.
        return Results.SignOut(
            new AuthenticationProperties { RedirectUri = "/" + state.Layout.SignedOut },
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> UserInfoAsync(HttpContext http, ProviderState state)
    {
        AuthenticateResult result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        string? subject = result.Principal?.FindFirst(Claims.Subject)?.Value;
        TestUser? user = state.FindUser(subject);
        string? clientId = result.Principal is { } principal ? principal.GetPresenters().FirstOrDefault() : null;
        state.Record(TestIdentityProviderEventKinds.UserInfo, clientId, subject);
        if (user is null)
        {
            return Results.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The user no longer exists.",
                }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        return Results.Json(state.CreateUserInfo(user));
    }

    private static IResult Forbid(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
