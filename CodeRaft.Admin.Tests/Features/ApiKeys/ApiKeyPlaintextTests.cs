using System.Collections.Concurrent;
using System.Net;
using System.Text;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// Issue 6: once the create dialog is closed, the key exists nowhere. The portal runs on a real SQLite data directory
/// with every log category at Trace; a key is created through the console's <see cref="ApiKeyService"/> (real
/// step-up), used against the API and revoked. Then every file of the data directory (database, -wal, -shm, key
/// ring, anything else) and every captured log entry are searched for the key, its base62 body and its random part,
/// as UTF-8 and as UTF-16.
/// </summary>
public sealed class ApiKeyPlaintextTests
{
    [Fact]
    public async Task CreateAsync_ThroughTheConsole_PlaintextNowhereInDataDirectoryOrLogs()
    {
        var capture = new LogCaptureProvider();
        await using var factory = new LogCapturingAppFactory(capture);
        using var client = factory.CreateClient();
        var userId = await SeedOwnerAsync(factory.Services);
        var stepUp = StepUp(factory.Services, userId);
        var service = new ApiKeyService(factory.Services.GetRequiredService<ApiKeyManagementCore>(), stepUp);

        var createTicket = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeAsync(createTicket, StepUpUser.CodeAt(DateTimeOffset.UtcNow), ApiKeyService.CreateOperation)).Succeeded);
        var result = await service.CreateAsync(createTicket, new ApiKeyInput { Name = "plaintext probe", Scopes = [ApiKeyScopes.UsersRead] });
        var key = result.Created!.Key;
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(client, key));
        var revokeTicket = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeWithRecoveryCodeAsync(revokeTicket, StepUpUser.RecoveryCodes[0], ApiKeyService.RevokeOperation)).Succeeded);
        Assert.True((await service.RevokeAsync(revokeTicket, result.Created.Id)).Succeeded);
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(client, key));

        string[] secrets = [key, key[ApiKeyFormat.Prefix.Length..], key[ApiKeyFormat.Prefix.Length..(ApiKeyFormat.Prefix.Length + ApiKeyFormat.SecretLength)]];
        // While recent pages sit in the -wal file, and again after they were checkpointed into the database file.
        AssertAbsentFromFiles(factory.DataDirectory, secrets, ApiKeyFormat.Hash(key));
        Assert.Contains(capture.Entries, e => e.Contains("ApiKey was not authenticated", StringComparison.Ordinal)); // the capture saw the API path
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(capture.Entries, e => e.Contains(secret, StringComparison.Ordinal));
        }

        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        }

        AssertAbsentFromFiles(factory.DataDirectory, secrets, ApiKeyFormat.Hash(key));
    }

    /// <summary>Searches every file under <paramref name="directory"/>; <paramref name="stored"/> (the key's hash) must be found, proving the search reads the data.</summary>
    private static void AssertAbsentFromFiles(string directory, IReadOnlyList<string> secrets, string stored)
    {
        var files = Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => Path.GetFileName(f).EndsWith(".db", StringComparison.Ordinal));
        var all = new List<byte>();
        foreach (var file in files)
        {
            // The running portal holds the database open: read it shared.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            all.AddRange(copy.ToArray());
            foreach (var secret in secrets)
            {
                Assert.False(Contains(copy.ToArray(), Encoding.UTF8.GetBytes(secret)), $"{Path.GetFileName(file)} holds the key (UTF-8).");
                Assert.False(Contains(copy.ToArray(), Encoding.Unicode.GetBytes(secret)), $"{Path.GetFileName(file)} holds the key (UTF-16).");
            }
        }

        Assert.True(Contains([.. all], Encoding.UTF8.GetBytes(stored)), "The key's hash was not found: the search does not read the store.");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static async Task<HttpStatusCode> WhoAmIAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/whoami");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<Guid> SeedOwnerAsync(IServiceProvider services)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var user = AdminUser.Create("owner@example.test", "owner@example.test", "Owner", AdminRole.Owner, AdminUserStatus.Active, now);
        user.TotpSecret = Base32.Encode("12345678901234567890"u8);
        user.TotpEnabledAt = now;
        db.Users.Add(user);
        db.RecoveryCodes.AddRange(StepUpUser.RecoveryCodes.Select(c => new RecoveryCode { Id = Guid.NewGuid(), UserId = user.Id, CodeHash = TotpService.HashRecoveryCode(c), CreatedAt = now }));
        await db.SaveChangesAsync();
        return user.Id;
    }

    private static StepUpService StepUp(IServiceProvider services, Guid userId)
    {
        // The circuit's StepUpService, as the server builds it, for a circuit of userId.
        return new StepUpService(services.GetRequiredService<TotpService>(), services.GetRequiredService<IDbContextFactory<AdminDbContext>>(),
            services.GetRequiredService<AuditWriter>(), new FakeAuthenticationStateProvider(userId), new FixedStepUpPolicy(TimeSpan.Zero), TimeProvider.System);
    }
}
