namespace CodeRaft.Admin.TestIdentityProvider;

/// <summary>A relying party (the portal under test) registered with the test identity provider.</summary>
public sealed class TestClientRegistration
{
    public required string ClientId { get; init; }

    /// <summary>The client secret; <see langword="null"/> registers a public client (PKCE only).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Exact redirect URIs, e.g. <c>http://127.0.0.1:5123/signin-oidc</c>.</summary>
    public IReadOnlyList<Uri> RedirectUris { get; init; } = [];

    /// <summary>Exact post-logout redirect URIs, e.g. <c>http://127.0.0.1:5123/signout-callback-oidc</c>.</summary>
    public IReadOnlyList<Uri> PostLogoutRedirectUris { get; init; } = [];

    /// <summary>Whether the client may use the refresh token grant (and so ask for <c>offline_access</c>).</summary>
    public bool AllowRefreshTokens { get; init; } = true;

    /// <summary>
    /// The registration ASP.NET Core's OpenID Connect handler needs with its default paths:
    /// <c>{appBaseAddress}signin-oidc</c> and <c>{appBaseAddress}signout-callback-oidc</c>.
    /// </summary>
    public static TestClientRegistration ForApp(
        string clientId,
        string? clientSecret,
        Uri appBaseAddress,
        string callbackPath = "/signin-oidc",
        string signedOutCallbackPath = "/signout-callback-oidc")
    {
        ArgumentNullException.ThrowIfNull(appBaseAddress);
        return new TestClientRegistration
        {
            ClientId = clientId,
            ClientSecret = clientSecret,
            RedirectUris = [new Uri(appBaseAddress, callbackPath)],
            PostLogoutRedirectUris = [new Uri(appBaseAddress, signedOutCallbackPath)],
        };
    }
}
