namespace CodeRaft.Admin.TestIdentityProvider.Internal;

/// <summary>Where each endpoint lives, relative to the base address (no leading slash, as OpenIddict wants).</summary>
internal sealed record ProviderLayout(
    string Authorization,
    string Token,
    string EndSession,
    string UserInfo,
    string Configuration,
    string JsonWebKeySet,
    string SignedOut)
{
    public static ProviderLayout For(TestIdentityProviderShape shape, string tenantId) => shape switch
    {
        TestIdentityProviderShape.Generic => new ProviderLayout(
            Authorization: "connect/authorize",
            Token: "connect/token",
            EndSession: "connect/endsession",
            UserInfo: "connect/userinfo",
            Configuration: ".well-known/openid-configuration",
            JsonWebKeySet: ".well-known/jwks",
            SignedOut: "signed-out"),

        // login.microsoftonline.com's v2.0 paths; the userinfo endpoint is Graph's there, so any path will do.
        TestIdentityProviderShape.Entra => new ProviderLayout(
            Authorization: $"{tenantId}/oauth2/v2.0/authorize",
            Token: $"{tenantId}/oauth2/v2.0/token",
            EndSession: $"{tenantId}/oauth2/v2.0/logout",
            UserInfo: $"{tenantId}/openid/v2.0/userinfo",
            Configuration: $"{tenantId}/v2.0/.well-known/openid-configuration",
            JsonWebKeySet: $"{tenantId}/discovery/v2.0/keys",
            SignedOut: $"{tenantId}/oauth2/v2.0/logoutsession"),

        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };
}
