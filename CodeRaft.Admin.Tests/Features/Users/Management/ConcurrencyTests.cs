using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>
/// The rules that need the store, under concurrent changes from two portal processes (two stores on one database,
/// so no in-process lock helps): at least one active Owner always remains, and grants never exceed the seats.
/// </summary>
public abstract class ConcurrencyTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private UsersWorld _first = null!;
    private UsersWorld _second = null!;

    /// <summary>Null for SQLite; a PostgreSQL connection string for the PostgreSQL lane.</summary>
    protected abstract Task<string?> DatabaseAsync();

    public async Task InitializeAsync()
    {
        var database = await DatabaseAsync();
        _first = await UsersWorld.StartAsync(_data.Path, _secret, _time, database);
        _second = await UsersWorld.StartAsync(_data.Path, _secret, _time, database);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [InlineData(UserOperation.Disable)]
    [InlineData(UserOperation.ChangeRole)]
    [InlineData(UserOperation.Remove)]
    public async Task Operation_TwoOwnersOnEachOtherConcurrently_OneActiveOwnerRemains(UserOperation operation)
    {
        var survivor = await _first.SeedAsync(AdminRole.Owner);
        for (var round = 0; round < 5; round++)
        {
            // Exactly two active Owners; each one, in its own process, takes the other away at the same moment.
            // Whoever commits first wins; the other is refused (no longer an active Owner, or the last one left).
            var challenger = await _first.SeedAsync(AdminRole.Owner);
            var results = await RaceAsync(operation,
                (_first, UserOperator.ConsoleUser(challenger), survivor),
                (_second, UserOperator.ConsoleUser(survivor), challenger));

            Assert.Single(results, r => r.Succeeded);
            Assert.Equal(UserOperationOutcome.Denied, Assert.Single(results, r => !r.Succeeded).Outcome);
            Assert.Equal(1, await _first.ActiveOwnersAsync());
            survivor = await RemainingOwnerAsync();
        }
    }

    [Theory]
    [InlineData(UserOperation.Disable)]
    [InlineData(UserOperation.ChangeRole)]
    [InlineData(UserOperation.Remove)]
    public async Task Operation_TwoProcessesTakeAwayTheLastTwoOwnersConcurrently_LastOwnerRuleRefusesOne(UserOperation operation)
    {
        // Two operators who are not themselves in play (two CLI runs), each removing one of the last two Owners:
        // only the last-active-Owner guard, read inside the lock, stands between them and an Owner-less platform.
        var survivor = await _first.SeedAsync(AdminRole.Owner);
        for (var round = 0; round < 5; round++)
        {
            var other = await _first.SeedAsync(AdminRole.Owner);
            var results = await RaceAsync(operation,
                (_first, UserOperator.HostCli, survivor),
                (_second, UserOperator.HostCli, other));

            Assert.Single(results, r => r.Succeeded);
            var refused = Assert.Single(results, r => !r.Succeeded);
            Assert.Equal(UserOperationOutcome.Denied, refused.Outcome);
            Assert.Contains("is the last active Owner", refused.Message, StringComparison.Ordinal);
            Assert.Equal(1, await _first.ActiveOwnersAsync());
            survivor = await RemainingOwnerAsync();
        }
    }

    private static async Task<UserOperationResult[]> RaceAsync(UserOperation operation, params (UsersWorld World, UserOperator By, Guid Target)[] contenders)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Task.WhenAll(contenders.Select(c => Task.Run(async () =>
        {
            await start.Task;
            return operation switch
            {
                UserOperation.Disable => await c.World.Core.DisableAsync(c.By, c.Target),
                UserOperation.ChangeRole => await c.World.Core.ChangeRoleAsync(c.By, c.Target, AdminRole.Administrator),
                _ => await c.World.Core.RemoveAsync(c.By, c.Target),
            };
        })));
        start.SetResult();
        return await racing;
    }

    [Fact]
    public async Task GrantProductAsync_TenConcurrentGrantsThreeSeats_ExactlyThree()
    {
        _first.Seats.Seats[Product.Ravenscan] = 3;
        _second.Seats.Seats[Product.Ravenscan] = 3;
        var owner = UserOperator.ConsoleUser(await _first.SeedAsync(AdminRole.Owner));
        var users = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            users.Add(await _first.SeedAsync(AdminRole.Viewer, enrolled: false));
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Task.WhenAll(users.Select((user, i) => Task.Run(async () =>
        {
            await start.Task;
            return await (i % 2 == 0 ? _first : _second).Core.GrantProductAsync(owner, user, Product.Ravenscan);
        })));
        start.SetResult();
        var results = await racing;

        Assert.Equal(3, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal("All 3 seats of Ravenscan are in use.", r.Message));
        await using var db = await _first.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(3, await db.ProductAccess.CountAsync(a => a.Product == Product.Ravenscan));
        var audited = (await _first.UsersAuditAsync()).Where(e => e.Action == "user.product_granted").ToList();
        Assert.Equal((3, 7), (audited.Count(e => e.Outcome == "success"), audited.Count(e => e.Outcome == "denied")));
    }

    [Fact]
    public async Task InviteAsync_SameAddressConcurrently_OneUser()
    {
        var owner = UserOperator.ConsoleUser(await _first.SeedAsync(AdminRole.Owner));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Task.WhenAll(new[] { _first, _second }.Select(world => Task.Run(async () =>
        {
            await start.Task;
            return await world.Core.InviteAsync(owner, new InviteUserInput { Email = "twice@example.test", Role = AdminRole.Viewer });
        })));
        start.SetResult();
        var results = await racing;

        Assert.Single(results, r => r.Succeeded);
        await using var db = await _first.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.Users.CountAsync(u => u.NormalizedEmail == "TWICE@EXAMPLE.TEST"));
    }

    private async Task<Guid> RemainingOwnerAsync()
    {
        await using var db = await _first.Store.Contexts.CreateDbContextAsync();
        return await db.Users.Where(u => u.Role == AdminRole.Owner && u.Status == AdminUserStatus.Active).Select(u => u.Id).SingleAsync();
    }
}

public sealed class SqliteConcurrencyTests : ConcurrencyTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresConcurrencyTests(PostgresServer postgres) : ConcurrencyTests
{
    protected override async Task<string?> DatabaseAsync() => await postgres.CreateDatabaseAsync();
}
