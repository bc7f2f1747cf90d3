using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Claims;
using OpenIddict.Abstractions;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CodeRaft.Admin.TestIdentityProvider.Internal;

/// <summary>What the provider's endpoints share: the users, the recorded events and the issuer once the port is known.</summary>
internal sealed class ProviderState(TestIdentityProviderOptions options, ProviderLayout layout)
{
    public const string RolesClaim = "roles";
    public const string TenantIdClaim = "tid";
    public const string ObjectIdClaim = "oid";
    public const string VersionClaim = "ver";

    private readonly ConcurrentDictionary<string, TestUser> _users =
        new(options.Users.Select(u => KeyValuePair.Create(u.Subject, u)), StringComparer.Ordinal);

    private readonly ConcurrentQueue<TestIdentityProviderEvent> _events = new();
    private Uri? _issuer;

    public TestIdentityProviderShape Shape { get; } = options.Shape;

    public string TenantId { get; } = options.TenantId;

    public ProviderLayout Layout { get; } = layout;

    /// <summary>
    /// Cookies ignore ports, so the portal on 127.0.0.1 and every provider on 127.0.0.1 share one cookie jar:
    /// each provider's session cookie needs a name of its own.
    /// </summary>
    public string SessionCookieName { get; } = $"TestIdp.Session.{Guid.NewGuid():N}";

    /// <summary>Set once Kestrel has bound; OpenIddict reads it when its options are first built (first request).</summary>
    public Uri Issuer
    {
        get => _issuer ?? throw new InvalidOperationException(
            "The test identity provider's issuer was read before Kestrel bound its port.");
        set => _issuer = value;
    }

    public IReadOnlyList<TestUser> Users => [.. _users.Values.OrderBy(u => u.Subject, StringComparer.Ordinal)];

    public IReadOnlyList<TestIdentityProviderEvent> Events => [.. _events];

    public void AddOrReplaceUser(TestUser user) => _users[user.Subject] = user;

    public bool RemoveUser(string subject) => _users.TryRemove(subject, out _);

    public TestUser? FindUser(string? subject) =>
        subject is not null && _users.TryGetValue(subject, out TestUser? user) ? user : null;

    /// <summary><c>login_hint</c> may carry the subject, the e-mail address or the preferred username.</summary>
    public TestUser? FindByHint(string? hint) =>
        hint is null
            ? null
            : FindUser(hint) ?? _users.Values.FirstOrDefault(u =>
                string.Equals(u.Email, hint, StringComparison.OrdinalIgnoreCase)
                || string.Equals(u.PreferredUsername, hint, StringComparison.OrdinalIgnoreCase));

    public void Record(string kind, string? clientId, string? subject) =>
        _events.Enqueue(new TestIdentityProviderEvent(kind, clientId, subject));

    public void Record(TestIdentityProviderEvent providerEvent) => _events.Enqueue(providerEvent);

    /// <summary>The claims of <paramref name="user"/> as both tokens carry them (Entra puts everything in both).</summary>
    public ClaimsPrincipal CreatePrincipal(TestUser user, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(
            authenticationType: "TestIdentityProvider", nameType: Claims.Name, roleType: RolesClaim);

        identity.SetClaim(Claims.Subject, user.Subject)
            .SetClaim(Claims.Name, user.Name)
            .SetClaim(Claims.Email, user.Email)
            .SetClaim(Claims.PreferredUsername, user.PreferredUsername)
            .SetClaims(RolesClaim, [.. user.Roles]);

        if (Shape == TestIdentityProviderShape.Entra)
        {
            identity.SetClaim(TenantIdClaim, TenantId)
                .SetClaim(ObjectIdClaim, user.EffectiveObjectId)
                .SetClaim(VersionClaim, "2.0");
        }

        foreach ((string type, string value) in user.ExtraClaims)
        {
            identity.SetClaim(type, value);
        }

        identity.SetScopes(scopes);
        identity.SetDestinations(static _ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The userinfo response for <paramref name="user"/>: the same claims as the ID token.</summary>
    public Dictionary<string, object> CreateUserInfo(TestUser user)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [Claims.Subject] = user.Subject,
            [Claims.Name] = user.Name,
            [Claims.Email] = user.Email,
            [Claims.PreferredUsername] = user.PreferredUsername,
            [RolesClaim] = user.Roles.ToArray(),
        };

        if (Shape == TestIdentityProviderShape.Entra)
        {
            claims[TenantIdClaim] = TenantId;
            claims[ObjectIdClaim] = user.EffectiveObjectId;
        }

        foreach ((string type, string value) in user.ExtraClaims)
        {
            claims[type] = value;
        }

        return claims;
    }
}
