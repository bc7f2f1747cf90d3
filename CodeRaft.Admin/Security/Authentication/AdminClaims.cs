using System.Security.Claims;
using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>The claims of a portal session. "mfa" is present only after the second factor was checked.</summary>
public static class AdminClaims
{
    public const string Mfa = "mfa";
    public const string MfaTotp = "totp";
    public const string SecurityStamp = "security_stamp";
    public const string IssuedAt = "session_issued_at";

    /// <summary>Signed in with both factors (or, for OIDC, the IdP's session plus our TOTP).</summary>
    public const string FullySignedInPolicy = "FullySignedIn";

    /// <summary>Signed in with the first factor only: enough to enroll TOTP and to sign out, nothing else.</summary>
    public const string FirstFactorPolicy = "FirstFactor";

    /// <summary>The signed-in user's id: our session's NameIdentifier (or "sub" where a principal carries that), else null.</summary>
    public static Guid? UserId(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true
        && Guid.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? principal.FindFirst("sub")?.Value, out var id) && id != Guid.Empty
            ? id
            : null;

    public static ClaimsPrincipal Principal(AdminUser user, bool secondFactorDone, DateTimeOffset issuedAt, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, string.IsNullOrEmpty(user.DisplayName) ? user.Email ?? "" : user.DisplayName),
            new(ClaimTypes.Email, user.Email ?? ""),
            new(ClaimTypes.Role, user.Role.ToString()),
            new(SecurityStamp, user.SecurityStamp ?? ""),
            new(IssuedAt, issuedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (secondFactorDone)
        {
            claims.Add(new Claim(Mfa, MfaTotp));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
