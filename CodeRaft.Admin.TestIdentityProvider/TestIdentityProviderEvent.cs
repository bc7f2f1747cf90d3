namespace CodeRaft.Admin.TestIdentityProvider;

/// <summary>One thing the provider did, recorded so a test can assert on the protocol, not only on the UI.</summary>
/// <param name="Kind">One of the <see cref="TestIdentityProviderEventKinds"/>.</param>
/// <param name="ClientId">The client that asked, when the request names one.</param>
/// <param name="Subject">The user concerned, when there is one.</param>
public sealed record TestIdentityProviderEvent(string Kind, string? ClientId, string? Subject)
{
    /// <summary>
    /// End-session only: the <c>sub</c> of the <c>id_token_hint</c>, when the request carried one. OpenIddict has
    /// validated the hint before the endpoint runs; unlike OpenIddict's default (and many real providers), this
    /// provider refuses an end-session request whose hint does not validate (e.g. a forged signature), and records
    /// nothing for it.
    /// </summary>
    public string? IdTokenHintSubject { get; init; }

    /// <summary>End-session only: the <c>aud</c> of the validated <c>id_token_hint</c> (the client it was issued to).</summary>
    public string? IdTokenHintAudience { get; init; }
}

public static class TestIdentityProviderEventKinds
{
    /// <summary>A valid authorization request reached the provider (OpenIddict had already checked it).</summary>
    public const string Authorize = "authorize";

    /// <summary>The login page was shown, because nobody was signed in at the provider or a prompt asked for it.</summary>
    public const string LoginPage = "login-page";

    /// <summary>An authorization code was issued for <see cref="TestIdentityProviderEvent.Subject"/>.</summary>
    public const string SignIn = "sign-in";

    /// <summary>The user pressed Cancel on the login page; the client got <c>access_denied</c>.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>A code or refresh token was redeemed at the token endpoint.</summary>
    public const string Token = "token";

    /// <summary>The userinfo endpoint answered.</summary>
    public const string UserInfo = "userinfo";

    /// <summary>
    /// The end-session (logout) endpoint ended the provider session of <see cref="TestIdentityProviderEvent.Subject"/>
    /// (<see langword="null"/> when the browser had none); see also the <c>IdTokenHint…</c> properties.
    /// </summary>
    public const string EndSession = "end-session";
}
