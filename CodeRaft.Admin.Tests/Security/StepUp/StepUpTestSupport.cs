using Microsoft.Extensions.DependencyInjection;
using System.Security.Claims;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Security.StepUp;

/// <summary>The circuit's authentication state, settable by the test (sign in as someone else, sign out).</summary>
internal sealed class FakeAuthenticationStateProvider : AuthenticationStateProvider
{
    private AuthenticationState _state = new(new ClaimsPrincipal(new ClaimsIdentity()));

    public FakeAuthenticationStateProvider(Guid? userId = null)
    {
        if (userId is { } id)
        {
            SignIn(id);
        }
    }

    public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(_state);

    public void SignIn(Guid userId, string name = "alice@example.test")
    {
        _state = new(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim(ClaimTypes.Name, name)], "test")));
        NotifyAuthenticationStateChanged(Task.FromResult(_state));
    }

    public void SignOut()
    {
        _state = new(new ClaimsPrincipal(new ClaimsIdentity()));
        NotifyAuthenticationStateChanged(Task.FromResult(_state));
    }
}

internal sealed class FixedStepUpPolicy(TimeSpan grace) : IStepUpPolicy
{
    public TimeSpan GracePeriod { get; set; } = grace;
}

/// <summary>The user of the step-up tests: TOTP key "12345678901234567890" (RFC 6238's test key) and recovery codes.</summary>
internal static class StepUpUser
{
    /// <summary>What one circuit of <paramref name="userId"/> needs for step-up, over a real store (grace 0).</summary>
    public static IServiceCollection AddCircuitServices(IServiceCollection services, TestStore store, Guid userId, TimeProvider time) => services
        .AddSingleton(time)
        .AddSingleton(store.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Infrastructure.Data.AdminDbContext>>())
        .AddSingleton(store.Get<Admin.Features.Audit.Chain.AuditWriter>())
        .AddSingleton(store.Get<Admin.Security.Totp.TotpService>())
        .AddSingleton<AuthenticationStateProvider>(new FakeAuthenticationStateProvider(userId))
        .AddSingleton<IStepUpPolicy>(new FixedStepUpPolicy(TimeSpan.Zero))
        .AddSingleton<StepUpService>();

    public static readonly string[] RecoveryCodes = ["abcde-fghjk", "mnpqr-stuvw"];

    public static string CodeAt(DateTimeOffset time) => Admin.Security.Totp.Totp.Hotp("12345678901234567890"u8, Admin.Security.Totp.Totp.StepAt(time));

    public static async Task<Guid> SeedAsync(TestStore store, DateTimeOffset now)
    {
        await using var db = await store.Contexts.CreateDbContextAsync();
        var user = new AdminUser
        {
            UserName = "alice@example.test", Email = "alice@example.test", DisplayName = "Alice", Role = AdminRole.Owner,
            Status = AdminUserStatus.Active, TotpSecret = Base32.Encode("12345678901234567890"u8), TotpEnabledAt = now.UtcDateTime, CreatedAt = now.UtcDateTime,
        };
        db.Users.Add(user);
        db.RecoveryCodes.AddRange(RecoveryCodes.Select(code => new RecoveryCode { UserId = user.Id, CodeHash = TotpService.HashRecoveryCode(code), CreatedAt = now.UtcDateTime }));
        await db.SaveChangesAsync();
        return user.Id;
    }

    public static async Task<List<(string Action, string Outcome)>> AuthAuditAsync(TestStore store)
    {
        await using var db = await store.Contexts.CreateDbContextAsync();
        var rows = await db.AuditEntries.Where(e => e.Category == "auth").OrderBy(e => e.Sequence).Select(e => new { e.Action, e.Outcome }).ToListAsync();
        return [.. rows.Select(r => (r.Action, r.Outcome))];
    }
}
