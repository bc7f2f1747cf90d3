using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>Create (key once, hash stored, audited without the key), revoke (idempotent, not found), list, validation.</summary>
public sealed class ApiKeyManagementCoreTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private TestStore _store = null!;

    private ApiKeyManagementCore Core => _store.Get<ApiKeyManagementCore>();

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private static ApiKeyInput Input(string name = "SIEM collector", string[]? scopes = null, int days = 90, int rate = 600) =>
        new() { Name = name, Scopes = scopes ?? [ApiKeyScopes.AuditWrite, ApiKeyScopes.AuditRead], ExpiresInDays = days, RateLimitPerMinute = rate };

    [Fact]
    public async Task CreateAsync_ValidInput_ReturnsKeyOnceAndStoresOnlyItsHash()
    {
        var before = DateTime.UtcNow;

        var result = await Core.CreateAsync(UserOperator.HostCli, Input(scopes: [ApiKeyScopes.UsersRead, ApiKeyScopes.AuditWrite, ApiKeyScopes.UsersRead]));

        Assert.True(result.Succeeded, result.Message);
        var created = result.Created!;
        Assert.True(ApiKeyFormat.IsWellFormed(created.Key));
        Assert.DoesNotContain(created.Key, created.ToString());
        Assert.DoesNotContain(created.Key, result.ToString());
        Assert.DoesNotContain(created.Key, result.Message);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var row = await db.ApiKeys.SingleAsync();
        Assert.Equal(created.Id, row.Id);
        Assert.Equal(created.Key[..12], row.Identifier);
        Assert.Equal(ApiKeyFormat.Hash(created.Key), row.KeyHash);
        Assert.Equal("SIEM collector", row.Name);
        Assert.Equal("audit:write users:read", row.Scopes);
        Assert.Equal("cli", row.CreatedBy);
        Assert.Equal(600, row.RateLimitPerMinute);
        Assert.InRange(row.ExpiresAt, before.AddDays(90).AddSeconds(-1), DateTime.UtcNow.AddDays(90).AddSeconds(1));
        Assert.Null(row.RevokedAt);

        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "apikey.created");
        Assert.Equal(("apikeys", "success", "cli", "apikey", row.Identifier), (entry.Category, entry.Outcome, entry.ActorType, entry.TargetType, entry.TargetId));
        var details = JsonDocument.Parse(entry.Details).RootElement;
        Assert.Equal(row.Id.ToString(), details.GetProperty("id").GetString());
        Assert.Equal(row.Identifier, details.GetProperty("identifier").GetString());
        Assert.Equal("SIEM collector", details.GetProperty("name").GetString());
        Assert.Equal(["audit:write", "users:read"], details.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(600, details.GetProperty("rateLimitPerMinute").GetInt32());
        Assert.True(details.TryGetProperty("expiresAt", out _));
        Assert.DoesNotContain(created.Key[12..], entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_TwoKeys_DifferAndBothListed()
    {
        var a = (await Core.CreateAsync(UserOperator.HostCli, Input("a"))).Created!;
        var b = (await Core.CreateAsync(UserOperator.HostCli, Input("b", days: 365, rate: 100_000))).Created!;

        Assert.NotEqual(a.Key, b.Key);
        var list = await Core.ListAsync();
        Assert.Equal(["b", "a"], list.Select(k => k.Name));
        Assert.Equal(100_000, list[0].RateLimitPerMinute);
    }

    [Fact]
    public async Task CreateAsync_IdentifierAlreadyTaken_DrawsAnotherKey()
    {
        var first = ApiKeyFormat.FromBytes(new byte[32]);
        var sameIdentifier = ApiKeyFormat.FromBytes([.. new byte[31], 1]); // differs only in the last digits
        Assert.Equal(first[..12], sameIdentifier[..12]);
        var fresh = ApiKeyFormat.Generate();
        var keys = new Queue<string>([first, sameIdentifier, fresh]);
        var core = new ApiKeyManagementCore(_store.Contexts, _store.Get<CodeRaft.Admin.Features.Audit.Chain.AuditWriter>(), new ApiKeyInputValidator(), TimeProvider.System)
        {
            NewKey = keys.Dequeue,
        };

        var a = (await core.CreateAsync(UserOperator.HostCli, Input("a"))).Created!;
        var b = (await core.CreateAsync(UserOperator.HostCli, Input("b"))).Created!;

        Assert.Equal(first, a.Key);
        Assert.Equal(fresh, b.Key);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        Assert.Equal(2, await db.ApiKeys.CountAsync());
    }

    public static TheoryData<ApiKeyInput, string> InvalidInputs => new()
    {
        { Input(name: ""), "Enter a name" },
        { Input(name: "   "), "Enter a name" },
        { Input(name: new string('n', 101)), "at most 100" },
        { Input(name: "evil\u001b[31m"), "control characters" },
        { Input(name: "rtl\u202Eoverride"), "control characters" },
        { Input(scopes: []), "at least one scope" },
        { Input(scopes: ["admin:write"]), "Scopes must be chosen" },
        { Input(scopes: ["audit:read", "AUDIT:WRITE"]), "Scopes must be chosen" },
        { Input(days: 0), "1 to 365 days" },
        { Input(days: 366), "1 to 365 days" },
        { Input(days: -5), "1 to 365 days" },
        { Input(rate: 0), "1 to 100,000" },
        { Input(rate: 100_001), "1 to 100,000" },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public async Task CreateAsync_InvalidInput_RefusedNothingStoredNothingAudited(ApiKeyInput input, string message)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entries = await db.AuditEntries.CountAsync();

        var result = await Core.CreateAsync(UserOperator.HostCli, input);

        Assert.Equal(ApiKeyOutcome.Invalid, result.Outcome);
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
        Assert.Null(result.Created);
        Assert.Equal(0, await db.ApiKeys.CountAsync());
        Assert.Equal(entries, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task RevokeAsync_ActiveKey_RevokedAndAuditedOnceThenUnchanged()
    {
        var created = (await Core.CreateAsync(UserOperator.HostCli, Input())).Created!;

        var first = await Core.RevokeAsync(UserOperator.HostCli, created.Id);
        var second = await Core.RevokeAsync(UserOperator.HostCli, created.Id);

        Assert.Equal(ApiKeyOutcome.Succeeded, first.Outcome);
        Assert.Equal(ApiKeyOutcome.Unchanged, second.Outcome);
        Assert.Contains("already revoked", second.Message, StringComparison.Ordinal);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var row = await db.ApiKeys.SingleAsync();
        Assert.NotNull(row.RevokedAt);
        Assert.Equal("cli", row.RevokedBy);
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "apikey.revoked");
        Assert.Equal(("cli", row.Identifier), (entry.ActorType, entry.TargetId));
        Assert.Contains(row.Identifier, entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeAsync_UnknownId_NotFoundNothingAudited()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entries = await db.AuditEntries.CountAsync();

        var result = await Core.RevokeAsync(UserOperator.HostCli, Guid.NewGuid());

        Assert.Equal(ApiKeyOutcome.NotFound, result.Outcome);
        Assert.Equal(entries, await db.AuditEntries.CountAsync());
    }
}

/// <summary>The same operations on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ApiKeyManagementCorePostgresTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task CreateRevokeList_OnPostgres_StoresHashAndAudits()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), await postgres.CreateDatabaseAsync());
        var core = store.Get<ApiKeyManagementCore>();

        var created = (await core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "pg", Scopes = [ApiKeyScopes.LicensesRead] })).Created!;
        var revoked = await core.RevokeAsync(UserOperator.HostCli, created.Id);

        Assert.True(revoked.Succeeded, revoked.Message);
        var listed = Assert.Single(await core.ListAsync());
        Assert.NotNull(listed.RevokedAt);
        await using var db = await store.Contexts.CreateDbContextAsync();
        Assert.Equal(ApiKeyFormat.Hash(created.Key), (await db.ApiKeys.SingleAsync()).KeyHash);
        Assert.Equal(2, await db.AuditEntries.CountAsync(e => e.Category == "apikeys"));
    }
}
