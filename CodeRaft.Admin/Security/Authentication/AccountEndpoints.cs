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
        group.MapPost("/signin/password", SignInWithPasswordAsync).RequireRateLimiting(SignInThrottling.Policy);
        group.MapPost("/signin/code", SignInWithCodeAsync).RequireRateLimiting(SignInThrottling.Policy);
        group.MapPost("/signout", (Delegate)SignOutAsync).RequireAuthorization(AdminClaims.FirstFactorPolicy);
        group.MapPost("/signout/everywhere", SignOutEverywhereAsync).RequireAuthorization(AdminClaims.FirstFactorPolicy);
        group.MapGet("/session/refresh", RefreshAfterEnrollmentAsync).RequireAuthorization(AdminClaims.FirstFactorPolicy);
        group.MapPost("/activate/submit", ActivateAsync).RequireRateLimiting(SignInThrottling.Policy);
        endpoints.MapPost("/setup/submit", SetupAsync).AllowAnonymous().RequireRateLimiting(SignInThrottling.Policy);
        endpoints.MapOidcEndpoints();
        return endpoints;
    }

    /// <summary>Only a path on this site ("/x", not "//host" or "/\host"); anything else becomes "/".</summary>
    public static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Contains("://", StringComparison.Ordinal)
            ? url
            : "/";

    private static async Task<IResult> SignInWithPasswordAsync([FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        HttpContext http, IDbContextFactory<AdminDbContext> contexts, PasswordHasher<AdminUser> hasher, AuditWriter audit, TimeProvider time,
        Microsoft.Extensions.Options.IOptions<SignInThrottlingOptions> throttling)
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
        var now = time.GetUtcNow();
        var locked = user?.LockoutEnd is { } end && end > now;
        var valid = matches && !locked && user is { Status: AdminUserStatus.Active, PasswordHash: not null };
        var attempt = new AuditEvent
        {
            Category = "auth",
            Action = valid ? "auth.password_verified" : locked ? "auth.signin_locked" : "auth.signin_failed",
            Outcome = valid ? AuditVocabulary.Success : locked ? AuditVocabulary.Denied : AuditVocabulary.Failure,
            Actor = user is null ? AuditActor.Anonymous : AuditActor.User(user.Id.ToString(), user.DisplayName),
            SourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "",
            TargetType = user is null ? "" : "user",
            TargetId = user?.Id.ToString() ?? "",
            Details = AuditDetails.Of(("email", (email ?? "").Length > 256 ? (email ?? "")[..256] : email)),
        };
        if (user is null || locked)
        {
            await audit.AppendAsync(attempt, http.RequestAborted);
        }
        else
        {
            await RecordPasswordAttemptAsync(db, audit, user.Id, valid, attempt, now, throttling.Value, http.RequestAborted);
        }

        if (!valid)
        {
            // One message for unknown user, wrong password, locked and disabled account: nothing to enumerate.
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

    /// <summary>
    /// Per-account brake on password guessing: consecutive failures are counted atomically in the same transaction
    /// as the attempt's audit entry; at MaxPasswordFailures the password sign-in locks for PasswordLockout
    /// (audited as auth.password_locked). A success resets the count.
    /// </summary>
    private static async Task RecordPasswordAttemptAsync(AdminDbContext db, AuditWriter audit, Guid userId, bool valid, AuditEvent attempt,
        DateTimeOffset now, SignInThrottlingOptions options, CancellationToken cancellationToken) =>
        await audit.ExecuteAsync(db, async ct =>
        {
            if (valid)
            {
                // Like the OIDC modes, the sign-in time is recorded when the first factor succeeds.
                var at = now.UtcDateTime;
                await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.AccessFailedCount, 0).SetProperty(x => x.LastSignInAt, at), ct);
                return (true, (IReadOnlyList<AuditEvent>)[attempt]);
            }

            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.AccessFailedCount, x => x.AccessFailedCount + 1), ct);
            var failures = await db.Users.Where(u => u.Id == userId).Select(u => u.AccessFailedCount).SingleAsync(ct);
            if (failures < options.EffectiveMaxPasswordFailures)
            {
                return (false, (IReadOnlyList<AuditEvent>)[attempt]);
            }

            var until = now + options.PasswordLockout;
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockoutEnd, until).SetProperty(x => x.AccessFailedCount, 0), ct);
            return (false, (IReadOnlyList<AuditEvent>)[attempt, new AuditEvent
            {
                Category = "auth",
                Action = "auth.password_locked",
                Outcome = AuditVocabulary.Denied,
                Actor = attempt.Actor,
                SourceIp = attempt.SourceIp,
                TargetType = "user",
                TargetId = userId.ToString(),
                Details = AuditDetails.Of(("failures", failures), ("until", AuditHash.FormatTimestamp(until.UtcDateTime))),
            }]);
        }, cancellationToken);

    private static async Task<IResult> SignInWithCodeAsync([FromForm] string? code, [FromForm] string? recoveryCode, [FromForm] string? returnUrl, HttpContext http,
        IDbContextFactory<AdminDbContext> contexts, TotpService totp, TimeProvider time)
    {
        var back = LocalUrl(returnUrl);
        var pending = await http.AuthenticateAsync(PendingScheme);
        if (!pending.Succeeded || !Guid.TryParse(pending.Principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return Results.LocalRedirect($"/account/signin?error=expired&returnUrl={Uri.EscapeDataString(back)}");
        }

        // A recovery code is the fallback for a lost authenticator: same lock, counted the same way.
        var useRecovery = string.IsNullOrWhiteSpace(code) && !string.IsNullOrWhiteSpace(recoveryCode);
        var actor = AuditActor.User(userId.ToString(), "");
        var ip = http.Connection.RemoteIpAddress?.ToString() ?? "";
        var result = useRecovery
            ? await totp.VerifyRecoveryCodeAsync(userId, recoveryCode, "signin", actor, ip, http.RequestAborted)
            : await totp.VerifyCodeAsync(userId, code, "signin", actor, ip, http.RequestAborted);
        if (!result.Succeeded)
        {
            var mode = useRecovery ? "&recovery=1" : "";
            return Results.LocalRedirect($"/account/signin/code?error={Uri.EscapeDataString(result.Message)}{mode}&returnUrl={Uri.EscapeDataString(back)}");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, http.RequestAborted);
        await http.SignOutAsync(PendingScheme);
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: true, time.GetUtcNow(), AuthenticationFeature.Scheme),
            OidcSignOut.KeepingIdToken(pending.Properties));
        return Results.LocalRedirect(back);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, AuthenticationModeInfo modeInfo, AuditWriter audit)
    {
        if (AdminClaims.UserId(http.User) is { } userId)
        {
            await audit.AppendAsync(new AuditEvent
            {
                Category = "auth",
                Action = "auth.signed_out",
                Outcome = AuditVocabulary.Success,
                Actor = AuditActor.User(userId.ToString(), http.User.Identity?.Name ?? ""),
                SourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "",
                TargetType = "user",
                TargetId = userId.ToString(),
            }, http.RequestAborted);
        }

        await http.SignOutAsync(AuthenticationFeature.Scheme);
        await http.SignOutAsync(PendingScheme);
        if (!modeInfo.IsExternal)
        {
            return Results.LocalRedirect("/account/signin");
        }

        if (!await OidcSignOut.ProviderCanEndSessionAsync(http))
        {
            return Results.LocalRedirect(OidcSignOut.SignedOutOfPortalOnlyPath);
        }

        // RP-initiated logout (OidcSignOut): the handler takes the id_token_hint from this request's session ticket,
        // read before the cookie was cleared (authentication results are cached per request), and answers with a
        // page that moves on to the provider's end-session endpoint.
        await http.SignOutAsync(OidcAuthentication.Scheme, new AuthenticationProperties { RedirectUri = OidcSignOut.SignedOutPath });
        return Results.Empty;
    }

    /// <summary>Ends every session of the signed-in user (other browsers at their next request, open circuits at once), then this one.</summary>
    private static async Task<IResult> SignOutEverywhereAsync(HttpContext http, SignOutEverywhereService sessions)
    {
        if (AdminClaims.UserId(http.User) is { } userId)
        {
            await sessions.SignOutEverywhereAsync(userId, AuditActor.User(userId.ToString(), http.User.Identity?.Name ?? ""),
                http.Connection.RemoteIpAddress?.ToString() ?? "", http.RequestAborted);
        }

        await http.SignOutAsync(AuthenticationFeature.Scheme);
        await http.SignOutAsync(PendingScheme);
        return Results.LocalRedirect("/account/signin");
    }

    /// <summary>After TOTP enrollment in the circuit: the session gains "mfa" once the database says enrolled.</summary>
    private static async Task<IResult> RefreshAfterEnrollmentAsync(HttpContext http, IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
    {
        if (AdminClaims.UserId(http.User) is not { } userId)
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
        await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: true, time.GetUtcNow(), AuthenticationFeature.Scheme),
            OidcSignOut.KeepingIdToken((await http.AuthenticateAsync(AuthenticationFeature.Scheme)).Properties));
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
