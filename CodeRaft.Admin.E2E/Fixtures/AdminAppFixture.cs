using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// The real portal on real Kestrel (a browser cannot talk to TestServer), on 127.0.0.1 and a port the OS picks,
/// with its own empty data directory and master secret. Program.cs runs unchanged, including
/// InitializeAdminAsync between Build() and Run().
/// </summary>
public class AdminAppFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _masterSecret = RandomNumberGenerator.GetString(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);

    public AdminAppFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), $"coderaft-e2e-{Guid.NewGuid():N}");

        // Here, not in ConfigureWebHost: UseKestrel must be called before the factory initializes, and a factory
        // made by WithWebHostBuilder would ignore the port.
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        File.WriteAllText(_licensePublicKeyFile, LicenseVendorKey.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>
    /// The license vendor key this portal trusts (environment Development honours <c>Licensing:TrustedPublicKeyFiles</c>):
    /// made at fixture start, never committed; tests sign licenses with it (CodeRaft.LicenseIssuer.LicenseKeyWriter).
    /// </summary>
    public RSA LicenseVendorKey { get; } = RSA.Create(2048);

    private readonly string _licensePublicKeyFile = Path.Combine(Path.GetTempPath(), $"coderaft-e2e-license-{Guid.NewGuid():N}.pem");

    /// <summary>The portal's Storage:DataDirectory; deleted when the fixture is disposed.</summary>
    public string DataDirectory { get; }

    /// <summary>http://127.0.0.1:{port}/ once started.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>How long StartServer took: host build, database and key ring initialization, Kestrel bind.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The Owner every browser session signs in as (password + TOTP), seeded after start-up.</summary>
    public string OwnerEmail { get; } = "e2e-owner@example.test";

    public string OwnerPassword { get; } = "e2e correct horse battery staple";

    /// <summary>The Owner's TOTP key (Base32): tests compute codes from it as an authenticator app would.</summary>
    public string OwnerTotpKey { get; } = CodeRaft.Admin.Security.Totp.Base32.Encode(RandomNumberGenerator.GetBytes(20));

    /// <summary>False for a first-run portal: no user, setup pending.</summary>
    protected bool SeedOwner { get; init; } = true;

    /// <summary>The signed-in browser state (cookies), made once per run: each sign-in burns a TOTP step.</summary>
    public string? SignedInStorageState { get; set; }

    public async Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        StartServer();
        StartupTime = stopwatch.Elapsed;
        if (SeedOwner)
        {
            await SeedUserAsync(OwnerEmail, OwnerPassword, OwnerTotpKey, Admin.Features.Users.AdminRole.Owner);
            // A seeded user ends first-run setup, as creating the Owner through /setup would.
            Services.GetRequiredService<CodeRaft.Admin.Security.Authentication.SetupTokenService>().Consume();
        }

        await OnStartedAsync();
    }

    /// <summary>After the portal runs and the Owner is seeded (e.g. a proxy in front of it).</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    /// <summary>Before the portal stops.</summary>
    protected virtual ValueTask OnStoppingAsync() => ValueTask.CompletedTask;

    /// <summary>Both allowlists emptied, as the CLI's break-glass does, so a test's list does not outlive it.</summary>
    public async Task ResetAllowlistsAsync() =>
        await Services.GetRequiredService<CodeRaft.Admin.Features.Network.NetworkAllowlistCore>().ResetAsync(Admin.Features.Users.UserOperator.HostCli);

    /// <summary>Changes a user's status straight in the store (what the Users screen will do).</summary>
    public async Task SetUserStatusAsync(string email, Admin.Features.Users.AdminUserStatus status)
    {
        var contexts = Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<CodeRaft.Admin.Infrastructure.Data.AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var normalized = email.ToUpperInvariant();
        var user = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Users, u => u.NormalizedEmail == normalized);
        user.Status = status;
        await db.SaveChangesAsync();
    }

    /// <summary>Creates an active user with a password and an enrolled TOTP key, straight in the store.</summary>
    public async Task SeedUserAsync(string email, string password, string? totpKey, Admin.Features.Users.AdminRole role, IReadOnlyList<string>? recoveryCodes = null)
    {
        var contexts = Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<CodeRaft.Admin.Infrastructure.Data.AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var user = new Admin.Features.Users.AdminUser
        {
            Id = Guid.NewGuid(),
            UserName = email,
            NormalizedUserName = email.ToUpperInvariant(),
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            DisplayName = "E2E " + role,
            Role = role,
            Status = Admin.Features.Users.AdminUserStatus.Active,
            SecurityStamp = Guid.NewGuid().ToString(),
            CreatedAt = DateTime.UtcNow,
            TotpSecret = totpKey,
            TotpEnabledAt = totpKey is null ? null : DateTime.UtcNow,
        };
        user.PasswordHash = new Microsoft.AspNetCore.Identity.PasswordHasher<Admin.Features.Users.AdminUser>().HashPassword(user, password);
        db.Users.Add(user);
        db.RecoveryCodes.AddRange((recoveryCodes ?? []).Select(code => new Admin.Features.Users.RecoveryCode
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            CodeHash = CodeRaft.Admin.Security.Totp.TotpService.HashRecoveryCode(code),
            CreatedAt = DateTime.UtcNow,
        }));
        await db.SaveChangesAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await OnStoppingAsync();
        await DisposeAsync();
        DeleteDataDirectory();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // As `dotnet run`: static web assets (MudBlazor's _content/ included) come from the build's manifests.
        builder.UseEnvironment("Development");
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        builder.UseSetting(MasterSecretProvider.EnvironmentVariable, _masterSecret);
        // Every browser test signs in from 127.0.0.1: the collection's tests together post more than the default
        // 20 sign-in forms a minute per address. The brake itself is tested in CodeRaft.Admin.Tests (SignInThrottlingTests).
        builder.UseSetting("Security:SignIn:PostsPerMinutePerAddress", "1000");
        builder.UseSetting("Security:StepUp:AttemptsPerMinutePerAddress", "1000"); // likewise (StepUpThrottleTests)
        builder.UseSetting("Licensing:TrustedPublicKeyFiles:0", _licensePublicKeyFile);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            LicenseVendorKey.Dispose();
        }

        DeleteDataDirectory();
    }

    private void DeleteDataDirectory()
    {
        File.Delete(_licensePublicKeyFile);
        // Pooled SQLite connections keep the database file open.
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
