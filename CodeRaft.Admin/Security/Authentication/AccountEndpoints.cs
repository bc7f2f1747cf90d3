using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Setup;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Totp;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// The sign-in, second-factor, setup and sign-out posts (forms on static pages; antiforgery is checked by the
/// framework for every form post). Every redirect target passes <see cref="LocalUrl"/> (open-redirect guard).
///
///   /account/signin  --password-->  /account/signin/code  --TOTP-->  session with "mfa"
///                    \--(no TOTP enrolled yet)-->  first-factor session  -->  /account (enrollment only)
/// </summary>
public static class AccountEndpoints
{
    internal const string PendingScheme = "coderaft-pending-2fa";

    /// <summary>"First factor checked for user X" (password, or the OIDC provider): grants nothing by itself.</summary>
    internal static System.Security.Claims.ClaimsPrincipal PendingPrincipal(Guid userId) =>
        new(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, userId.ToString())], PendingScheme));

    private static readonly Lazy<string> DummyHash = new(() =>
        new PasswordHasher<AdminUser>().HashPassword(new AdminUser(), Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))));

    public static IServiceCollection AddAccountEndpoints(this IServiceCollection services)
    {
        // A short-lived cookie that only says "password checked for user X"; it grants nothing by itself.
        services.AddAuthentication().AddCookie(PendingScheme, o =>
        {
            o.Cookie.Name = "coderaft-pending";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
            o.SlidingExpiration = false;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/account").AllowAnonymous();
        group.MapPost("/signin/password", SignInWithPasswordAsync);
        group.MapPost("/signin/code", SignInWithCodeAsync);
        group.MapPost("/signout", (Delegate)SignOutAsync).RequireAuthorization(AdminClaims.FirstFactorPolicy);
        group.MapGet("/session/refresh", RefreshAfterEnrollmentAsync).RequireAuthorization(AdminClaims.FirstFactorPolicy);
        group.MapPost("/activate/submit", ActivateAsync);
        endpoints.MapPost("/setup/submit", SetupAsync).AllowAnonymous();
        endpoints.MapOidcEndpoints();
        return endpoints;
    }

    /// <summary>Only a path on this site ("/x", not "//host" or "/\host"); anything else becomes "/".</summary>
    public static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Contains("://", StringComparison.Ordinal)
            ? url
            : "/";

    private static async Task<IResult> SignInWithPasswordAsync([FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        HttpContext http, IDbContextFactory<AdminDbContext> contexts, PasswordHasher<AdminUser> hasher, AuditWriter audit, TimeProvider time)
    {
        var back = LocalUrl(returnUrl);
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var normalized = (email ?? "").Trim().ToUpperInvariant();
        var user = normalized.Length is > 0 and <= 256 ? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, http.RequestAborted) : null;
        // Unknown or password-less accounts still pay for one hash check, so response time does not tell which
        // e-mail addresses have an account.
        var hashToCheck = user?.PasswordHash ?? DummyHash.Value;
        var matches = password is { Length: <= 1024 }
            && hasher.VerifyHashedPassword(user ?? new AdminUser(), hashToCheck, password) != PasswordVerificationResult.Failed;
        var valid = matches && user is { Status: AdminUserStatus.Active, PasswordHash: not null };
        await audit.AppendAsync(new AuditEvent
        {
            Category = "auth",
            Action = valid ? "auth.password_verified" : "auth.signin_failed",
            Outcome = valid ? AuditVocabulary.Success : AuditVocabulary.Failure,
            Actor = user is null ? AuditActor.Anonymous : AuditActor.User(user.Id.ToString(), user.DisplayName),
            SourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "",
            Details = AuditDetails.Of(("email", (email ?? "").Length > 256 ? (email ?? "")[..256] : email)),
        }, http.RequestAborted);
        if (!valid)
        {
            // One message for unknown user, wrong password and disabled account: nothing to enumerate.
            return Results.LocalRedirect($"/account/signin?error=credentials&returnUrl={Uri.EscapeDataString(back)}");
        }

        if (user!.TotpSecret is null)
        {
            await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: false, time.GetUtcNow(), AuthenticationFeature.Scheme));
            return Results.LocalRedirect("/account");
        }

        await http.SignInAsync(PendingScheme, PendingPrincipal(user.Id));
        return Results.LocalRedirect($"/account/signin/code?returnUrl={Uri.EscapeDataString(back)}");
    }

    private static async Task<IResult> SignInWithCodeAsync([FromForm] string? code, [FromForm] string? returnUrl, HttpContext http,
        IDbContextFactory<AdminDbContext> contexts, TotpService totp, TimeProvider time)
    {
        var back = LocalUrl(returnUrl);
        var pending = await http.AuthenticateAsync(PendingScheme);
        if (!pending.Succeeded || !Guid.TryParse(pending.Principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return Results.LocalRedirect($"/account/signin?error=expired&returnUrl={Uri.EscapeDataString(back)}");
        }

        var result = await totp.VerifyCodeAsync(userId, code, "signin", AuditActor.User(userId.ToString(), ""),
            http.Connection.RemoteIpAddress?.ToString() ?? "", http.RequestAborted);
        if (!result.Succeeded)
        {
            return Results.LocalRedirect($"/account/signin/code?error={Uri.EscapeDataString(result.Message)}&returnUrl={Uri.EscapeDataString(back)}");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, http.RequestAborted);
        await http.SignOutAsync(PendingScheme);
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: true, time.GetUtcNow(), AuthenticationFeature.Scheme));
        return Results.LocalRedirect(back);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http)
    {
        await http.SignOutAsync(AuthenticationFeature.Scheme);
        await http.SignOutAsync(PendingScheme);
        return Results.LocalRedirect("/account/signin");
    }

    /// <summary>After TOTP enrollment in the circuit: the session gains "mfa" once the database says enrolled.</summary>
    private static async Task<IResult> RefreshAfterEnrollmentAsync(HttpContext http, IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
    {
        if (!Guid.TryParse(http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return Results.LocalRedirect("/account/signin");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, http.RequestAborted);
        if (user?.TotpSecret is null || http.User.HasClaim(AdminClaims.Mfa, AdminClaims.MfaTotp))
        {
            return Results.LocalRedirect(user is null ? "/account/signin" : "/account");
        }

        // The enrollment itself proved a correct code moments ago (and burned its step).
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: true, time.GetUtcNow(), AuthenticationFeature.Scheme));
        return Results.LocalRedirect("/");
    }

    /// <summary>Local-mode invitation: set the password, then continue with the first factor to TOTP enrollment.</summary>
    private static async Task<IResult> ActivateAsync([FromForm] string? token, [FromForm] string? password, [FromForm] string? confirmPassword,
        HttpContext http, InvitationActivationService activation, IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
    {
        var result = await activation.ActivateAsync(token, password, confirmPassword, http.Connection.RemoteIpAddress?.ToString() ?? "", http.RequestAborted);
        if (!result.Succeeded)
        {
            // The token goes back into the address only while the link still works (the password was the problem).
            var again = result.LinkUsable ? $"token={Uri.EscapeDataString(token!)}&" : "";
            var codes = InvitationActivationService.ErrorCodes(result.Errors.Count > 0 ? result.Errors : [result.Message]);
            return Results.LocalRedirect($"{InvitationTokens.ActivationPath}?{again}error={Uri.EscapeDataString(codes)}");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == result.UserId, http.RequestAborted);
        if (user is not { Status: AdminUserStatus.Active })
        {
            return Results.LocalRedirect("/account/signin"); // disabled or removed in the moment since: no session
        }

        await http.SignOutAsync(PendingScheme);
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: false, time.GetUtcNow(), AuthenticationFeature.Scheme));
        return Results.LocalRedirect("/account");
    }

    private static async Task<IResult> SetupAsync([FromForm] string? token, [FromForm] string? email, [FromForm] string? displayName, [FromForm] string? password,
        HttpContext http, FirstOwnerService setup, IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
    {
        var result = await setup.CreateAsync(new FirstOwnerInput { SetupToken = token, Email = email, DisplayName = displayName, Password = password },
            http.Connection.RemoteIpAddress?.ToString() ?? "", http.RequestAborted);
        if (!result.Succeeded)
        {
            return Results.LocalRedirect($"/setup?error={Uri.EscapeDataString(string.Join(" ", result.Errors))}");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var owner = await db.Users.AsNoTracking().SingleAsync(u => u.Id == result.UserId, http.RequestAborted);
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(owner, secondFactorDone: false, time.GetUtcNow(), AuthenticationFeature.Scheme));
        return Results.LocalRedirect("/account");
    }
}
