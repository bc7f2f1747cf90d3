using System.Security.Claims;
using System.Text.Encodings.Web;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>Authenticates every request as a fully signed-in Owner (see <see cref="AdminAppFactory.SignedIn"/>).</summary>
public sealed class TestSignedInHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public static readonly Guid UserId = Guid.Parse("6c1f3a52-0b7e-4d49-9a55-1d2f3e4a5b6c");

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, UserId.ToString()),
            new Claim(ClaimTypes.Name, "Test Owner"),
            new Claim(ClaimTypes.Role, "Owner"),
            new Claim(AdminClaims.Mfa, AdminClaims.MfaTotp),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}

/// <summary>A portal whose requests are signed in (protected pages and endpoints).</summary>
public sealed class SignedInAdminAppFactory : AdminAppFactory
{
    public SignedInAdminAppFactory() => SignedIn = true;
}
