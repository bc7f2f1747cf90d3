using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.TestIdentityProvider;

/// <summary>
/// A person the test identity provider can sign in. Every user becomes a button on the provider's login page.
/// </summary>
/// <param name="Subject">The <c>sub</c> claim; also the value the login page posts and <c>login_hint</c> may name.</param>
/// <param name="Name">The <c>name</c> claim.</param>
/// <param name="Email">The <c>email</c> claim.</param>
public sealed record TestUser(string Subject, string Name, string Email)
{
    /// <summary>The <c>preferred_username</c> claim (Entra puts the UPN here); defaults to <see cref="Email"/>.</summary>
    public string PreferredUsername { get; init; } = Email;

    /// <summary>The <c>roles</c> claim, one value per role (a JSON array in the tokens when there are several).</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>
    /// The Entra <c>oid</c> claim, only issued by an Entra-shaped provider. Defaults to a GUID derived from
    /// <see cref="Subject"/>, so the same user has the same object id in every test run.
    /// </summary>
    public string? ObjectId { get; init; }

    /// <summary>Further claims put into the ID token, the access token and the userinfo response.</summary>
    public IReadOnlyDictionary<string, string> ExtraClaims { get; init; } = new Dictionary<string, string>();

    internal string EffectiveObjectId => ObjectId ?? DeriveObjectId(Subject);

    private static string DeriveObjectId(string subject)
    {
        // A name-based GUID: stable across runs, distinct per subject, shaped like Entra's object ids.
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(subject), hash);
        return new Guid(hash[..16]).ToString();
    }
}
