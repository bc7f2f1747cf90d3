using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Features.Users.Directory;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CodeRaft.Admin.Tests.Features.Users.Directory;

/// <summary>The directory on SQLite (the default store).</summary>
public sealed class UserDirectoryServiceTests : UserDirectoryServiceContract
{
    protected override Task<TestStore> StartStoreAsync(string dataDirectory) =>
        TestStore.StartAsync(dataDirectory, TestSecrets.NewMasterSecret());
}

/// <summary>
/// The same contract on PostgreSQL. The database gets a UTF-8 character type like the shipped postgres:15 image
/// (en_US.utf8); the test cluster's default is C, under which ILIKE folds ASCII letters only.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class UserDirectoryServicePostgresTests(PostgresServer postgres) : UserDirectoryServiceContract
{
    protected override async Task<TestStore> StartStoreAsync(string dataDirectory)
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(postgres.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'", connection);
            await command.ExecuteNonQueryAsync();
        }

        var database = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
        return await TestStore.StartAsync(dataDirectory, TestSecrets.NewMasterSecret(), database);
    }
}

/// <summary>What <see cref="UserDirectoryService"/> promises, run against each provider's real store.</summary>
public abstract class UserDirectoryServiceContract : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-users-directory");

    protected TestStore Store { get; private set; } = default!;

    private UserDirectoryService Service => new(Store.Contexts, TimeProvider.System);

    protected abstract Task<TestStore> StartStoreAsync(string dataDirectory);

    public async Task InitializeAsync() => Store = await StartStoreAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task GetPage_NoFilter_EveryUserByNameWithTotalAndProducts()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery());

        Assert.Equal(7, page.TotalCount);
        Assert.Equal(["Ada Lovelace", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Grace Hopper", "Jürgen Müller", "Katherine Johnson"], Names(page));
        var ada = page.Rows[0];
        Assert.Equal(ids["Ada Lovelace"], ada.Id);
        Assert.Equal("lovelace@example.test", ada.Email);
        Assert.Equal("lovelace@example.test", ada.UserName);
        Assert.Equal(AdminRole.Owner, ada.Role);
        Assert.Equal(AdminUserStatus.Active, ada.Status);
        Assert.True(ada.MfaEnrolled);
        Assert.Equal([Product.EntraGuard, Product.Ravenscan], ada.Products);
        Assert.Equal(DirectorySeed.Epoch, ada.CreatedAt);
        Assert.Equal(DateTimeKind.Utc, ada.CreatedAt.Kind);
        Assert.Equal(DirectorySeed.Epoch.AddDays(10), ada.LastSignInAt);
        var edsger = page.Rows[3];
        Assert.Null(edsger.LastSignInAt);
        Assert.False(edsger.MfaEnrolled);
        Assert.Empty(edsger.Products);
    }

    public static TheoryData<UserSort, bool, string[]> SortOrders { get; } = new()
    {
        { UserSort.Name, false, ["Ada Lovelace", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Grace Hopper", "Jürgen Müller", "Katherine Johnson"] },
        { UserSort.Name, true, ["Katherine Johnson", "Jürgen Müller", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Alan Turing", "Ada Lovelace"] },
        // dijkstra, hopper, johnson, liskov, lovelace, mueller, turing
        { UserSort.Email, false, ["Edsger Dijkstra", "Grace Hopper", "Katherine Johnson", "Barbara Liskov", "Ada Lovelace", "Jürgen Müller", "Alan Turing"] },
        { UserSort.Email, true, ["Alan Turing", "Jürgen Müller", "Ada Lovelace", "Barbara Liskov", "Katherine Johnson", "Grace Hopper", "Edsger Dijkstra"] },
        // By rank (Owner, Administrator, Auditor, Viewer), then by name A to Z in either direction.
        { UserSort.Role, false, ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Barbara Liskov", "Edsger Dijkstra", "Jürgen Müller", "Katherine Johnson"] },
        { UserSort.Role, true, ["Edsger Dijkstra", "Jürgen Müller", "Katherine Johnson", "Barbara Liskov", "Alan Turing", "Grace Hopper", "Ada Lovelace"] },
        // Active, Invited, Disabled.
        { UserSort.Status, false, ["Ada Lovelace", "Barbara Liskov", "Grace Hopper", "Jürgen Müller", "Katherine Johnson", "Edsger Dijkstra", "Alan Turing"] },
        { UserSort.Status, true, ["Alan Turing", "Edsger Dijkstra", "Ada Lovelace", "Barbara Liskov", "Grace Hopper", "Jürgen Müller", "Katherine Johnson"] },
        { UserSort.Created, false, ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Katherine Johnson", "Jürgen Müller"] },
        { UserSort.Created, true, ["Jürgen Müller", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov", "Alan Turing", "Grace Hopper", "Ada Lovelace"] },
        // Never signed in counts as longest ago, on both providers.
        { UserSort.LastSignIn, false, ["Alan Turing", "Edsger Dijkstra", "Katherine Johnson", "Jürgen Müller", "Grace Hopper", "Ada Lovelace", "Barbara Liskov"] },
        { UserSort.LastSignIn, true, ["Barbara Liskov", "Ada Lovelace", "Grace Hopper", "Jürgen Müller", "Katherine Johnson", "Alan Turing", "Edsger Dijkstra"] },
    };

    [Theory]
    [MemberData(nameof(SortOrders))]
    public async Task GetPage_SortOrder_RowsInThatOrder(UserSort sort, bool descending, string[] expected)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { Sort = sort, Descending = descending });

        Assert.Equal(expected, Names(page));
    }

    [Theory]
    [InlineData("lovelace", "Ada Lovelace")] // display name and e-mail
    [InlineData("LOVELACE", "Ada Lovelace")]
    [InlineData("  gRaCe  ", "Grace Hopper")] // trimmed, any case
    [InlineData("navy.example", "Grace Hopper")] // e-mail only
    [InlineData("jmueller", "Jürgen Müller")] // user name only
    [InlineData("müller", "Jürgen Müller")] // non-ASCII letters, folded both ways
    [InlineData("JÜRGEN", "Jürgen Müller")]
    [InlineData("n Tu", "Alan Turing")]
    public async Task GetPage_Search_MatchesSubstringIgnoringCase(string search, string expected)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { Search = search });

        Assert.Equal([expected], Names(page));
        Assert.Equal(1, page.TotalCount);
    }

    [Fact]
    public async Task GetPage_SearchMatchingSeveral_AllOfThemWithTotal()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { Search = "example.test" });

        Assert.Equal(["Ada Lovelace", "Edsger Dijkstra", "Jürgen Müller"], Names(page));
        Assert.Equal(3, page.TotalCount);
    }

    [Theory]
    [InlineData("100%", "Percent 100% done")]
    [InlineData("%", "Percent 100% done")]
    [InlineData("a_b", "Under a_b score")]
    [InlineData("_", "Under a_b score")]
    [InlineData("c\\d", "Back c\\d slash")]
    [InlineData("\\", "Back c\\d slash")]
    [InlineData("[ab]", "Bracket [ab] set")]
    public async Task GetPage_SearchWithLikeWildcards_MatchedLiterally(string search, string expected)
    {
        // Each decoy would match if the wildcard in the search were live: % any run, _ any character.
        await DirectorySeed.SeedAsync(Store,
            new SeedUser("Percent 100% done", "p1@example.test"),
            new SeedUser("Percent 1000 done", "p2@example.test"),
            new SeedUser("Under a_b score", "u1@example.test"),
            new SeedUser("Under aXb score", "u2@example.test"),
            new SeedUser("Back c\\d slash", "b1@example.test"),
            new SeedUser("Back cd slash", "b2@example.test"),
            new SeedUser("Bracket [ab] set", "s1@example.test"),
            new SeedUser("Bracket a set", "s2@example.test"));

        var page = await Service.GetPageAsync(new UserQuery { Search = search });

        Assert.Equal([expected], Names(page));
    }

    public static TheoryData<string, UserQuery, string[]> Filters { get; } = new()
    {
        { "role", new UserQuery { Role = AdminRole.Administrator }, ["Alan Turing", "Grace Hopper"] },
        { "role owner", new UserQuery { Role = AdminRole.Owner }, ["Ada Lovelace"] },
        { "status", new UserQuery { Status = AdminUserStatus.Disabled }, ["Alan Turing"] },
        { "status invited", new UserQuery { Status = AdminUserStatus.Invited }, ["Edsger Dijkstra"] },
        { "product", new UserQuery { Product = Product.EntraGuard }, ["Ada Lovelace", "Alan Turing", "Barbara Liskov"] },
        { "product bastion", new UserQuery { Product = Product.RedFoxBastion }, ["Grace Hopper"] },
        { "mfa enrolled", new UserQuery { MfaEnrolled = true }, ["Ada Lovelace", "Barbara Liskov", "Grace Hopper", "Jürgen Müller"] },
        { "mfa not enrolled", new UserQuery { MfaEnrolled = false }, ["Alan Turing", "Edsger Dijkstra", "Katherine Johnson"] },
        { "role + product", new UserQuery { Role = AdminRole.Administrator, Product = Product.EntraGuard }, ["Alan Turing"] },
        { "role + product + search", new UserQuery { Role = AdminRole.Administrator, Product = Product.EntraGuard, Search = "bletchley" }, ["Alan Turing"] },
        { "role + product + other search", new UserQuery { Role = AdminRole.Administrator, Product = Product.EntraGuard, Search = "hopper" }, [] },
        { "status + mfa + sort", new UserQuery { Status = AdminUserStatus.Active, MfaEnrolled = false, Sort = UserSort.Created }, ["Katherine Johnson"] },
        { "viewers by last sign-in", new UserQuery { Role = AdminRole.Viewer, Sort = UserSort.LastSignIn, Descending = true }, ["Jürgen Müller", "Katherine Johnson", "Edsger Dijkstra"] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task GetPage_Filter_OnlyMatchingUsers(string name, UserQuery query, string[] expected)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(query);

        Assert.True(expected.SequenceEqual(Names(page)), $"{name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", Names(page))}]");
        Assert.Equal(expected.Length, page.TotalCount);
    }

    [Fact]
    public async Task GetPage_PagesOfThree_SplitAtBoundariesWithTheSameTotal()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var pages = new List<UserPage>();
        for (var index = 0; index < 4; index++)
        {
            pages.Add(await Service.GetPageAsync(new UserQuery { PageIndex = index, PageSize = 3 }));
        }

        Assert.Equal(["Ada Lovelace", "Alan Turing", "Barbara Liskov"], Names(pages[0]));
        Assert.Equal(["Edsger Dijkstra", "Grace Hopper", "Jürgen Müller"], Names(pages[1]));
        Assert.Equal(["Katherine Johnson"], Names(pages[2]));
        Assert.Empty(pages[3].Rows); // past the end: no rows, still the total
        Assert.All(pages, p => Assert.Equal(7, p.TotalCount));
        Assert.All(pages, p => Assert.Equal(3, p.PageSize));
    }

    [Fact]
    public async Task GetPage_ExactMultipleOfPageSize_LastPageFullNextEmpty()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard.Take(6));

        var second = await Service.GetPageAsync(new UserQuery { PageIndex = 1, PageSize = 3 });
        var third = await Service.GetPageAsync(new UserQuery { PageIndex = 2, PageSize = 3 });

        Assert.Equal(3, second.Rows.Count);
        Assert.Empty(third.Rows);
        Assert.Equal(6, third.TotalCount);
    }

    [Theory]
    [InlineData(-5, 3, 0, 3)] // a negative page is the first
    [InlineData(0, 0, 0, 1)] // at least one row per page
    [InlineData(0, -1, 0, 1)]
    [InlineData(0, 1000, 0, UserQuery.MaxPageSize)] // at most 100
    [InlineData(int.MaxValue, 100, int.MaxValue, 100)] // past the end without overflowing
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue, 100)]
    public async Task GetPage_OutOfRangePaging_Clamped(int pageIndex, int pageSize, int expectedIndex, int expectedSize)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { PageIndex = pageIndex, PageSize = pageSize });

        Assert.Equal(expectedIndex, page.PageIndex);
        Assert.Equal(expectedSize, page.PageSize);
        Assert.True(page.Rows.Count <= expectedSize);
        if (expectedIndex == 0)
        {
            Assert.Equal("Ada Lovelace", page.Rows[0].DisplayName);
        }
    }

    [Fact]
    public async Task GetPage_MoreThanMaxPageSizeUsers_PagedByOneHundred()
    {
        await DirectorySeed.SeedAsync(Store, Enumerable.Range(0, 130).Select(i => new SeedUser($"User {i:D3}", $"user{i:D3}@example.test")));

        var first = await Service.GetPageAsync(new UserQuery { PageSize = 500 });
        var second = await Service.GetPageAsync(new UserQuery { PageSize = 500, PageIndex = 1 });

        Assert.Equal(100, first.Rows.Count);
        Assert.Equal(30, second.Rows.Count);
        Assert.Equal(130, second.TotalCount);
        Assert.Equal("User 100", second.Rows[0].DisplayName);
    }

    public static TheoryData<string, string> UnmatchableSearches { get; } = new()
    {
        { "10 kB", new string('a', 10 * 1024) },
        { "one past the limit", new string('a', UserQuery.MaxSearchLength + 1) },
        { "NUL", "Ada\0Lovelace" },
        { "lone high surrogate", "Ada\uD800" },
        { "lone low surrogate", "\uDC00Ada" },
    };

    [Theory]
    [MemberData(nameof(UnmatchableSearches))]
    public async Task GetPage_SearchNoStoredTextCanContain_EmptyWithoutError(string name, string search)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { Search = search });

        Assert.True(page.Rows.Count == 0, name);
        Assert.Equal(0, page.TotalCount);
    }

    [Theory]
    [InlineData("\u0001\u0002\u001b[31m")]
    [InlineData("Ada\tLovelace\r\n")]
    [InlineData("'; DROP TABLE users; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("\u202eecalevol")]
    public async Task GetPage_ControlCharactersOrSql_TreatedAsText(string search)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = await Service.GetPageAsync(new UserQuery { Search = search });

        Assert.Empty(page.Rows);
        Assert.Equal(7, (await Service.GetPageAsync(new UserQuery())).TotalCount); // the table is still there
    }

    [Fact]
    public async Task GetPage_UndefinedEnumValues_NothingMatchesAndNothingThrows()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        Assert.Empty((await Service.GetPageAsync(new UserQuery { Role = (AdminRole)42 })).Rows);
        Assert.Empty((await Service.GetPageAsync(new UserQuery { Status = (AdminUserStatus)(-1) })).Rows);
        Assert.Empty((await Service.GetPageAsync(new UserQuery { Product = (Product)7 })).Rows);
        Assert.Equal("Ada Lovelace", (await Service.GetPageAsync(new UserQuery { Sort = (UserSort)99 })).Rows[0].DisplayName);
    }

    [Fact]
    public async Task GetPageAndDetail_TotpCiphertextUnreadable_NeverDecrypted()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        await using (var db = await Store.Contexts.CreateDbContextAsync())
        {
            // Garbage where Ada's encrypted TOTP key is: anything that loads the entity would fail to decrypt it.
            var garbage = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
            var id = ids["Ada Lovelace"];
            await db.Database.ExecuteSqlAsync($"UPDATE users SET totp_secret = {garbage} WHERE id = {id}");
            await Assert.ThrowsAnyAsync<EncryptedValueException>(() => db.Users.AsNoTracking().SingleAsync(u => u.Id == id));
        }

        var page = await Service.GetPageAsync(new UserQuery { Search = "Lovelace" });
        var detail = await Service.GetDetailAsync(ids["Ada Lovelace"]);

        Assert.True(Assert.Single(page.Rows).MfaEnrolled);
        Assert.NotNull(detail);
        Assert.True(detail.Mfa.Enrolled);
    }

    [Fact]
    public async Task GetDetail_UnknownUser_Null()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        Assert.Null(await Service.GetDetailAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task GetDetail_SeededUser_AccountMfaProductsAndEmptyApiKeys()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var ada = ids["Ada Lovelace"];
        await using (var db = await Store.Contexts.CreateDbContextAsync())
        {
            db.RecoveryCodes.AddRange(Enumerable.Range(0, 10).Select(i => new RecoveryCode
            {
                Id = Guid.NewGuid(), UserId = ada, CodeHash = $"hash-{i}", CreatedAt = DirectorySeed.Epoch, UsedAt = i < 3 ? DirectorySeed.Epoch.AddDays(1) : null,
            }));
            var user = await db.Users.SingleAsync(u => u.Id == ada);
            user.ExternalIssuer = "https://login.example.test/tenant/v2.0";
            await db.SaveChangesAsync();
        }

        var detail = await Service.GetDetailAsync(ada);

        Assert.NotNull(detail);
        Assert.Equal("Ada Lovelace", detail.User.DisplayName);
        Assert.Equal(AdminRole.Owner, detail.User.Role);
        Assert.Equal("https://login.example.test/tenant/v2.0", detail.ExternalIssuer);
        Assert.Equal(DirectorySeed.Epoch.AddHours(1), detail.Mfa.EnrolledAt);
        Assert.Equal(7, detail.Mfa.RecoveryCodesRemaining);
        Assert.Null(detail.Mfa.LockedUntil);
        Assert.Equal([Product.EntraGuard, Product.Ravenscan], detail.Products.Select(p => p.Product));
        Assert.All(detail.Products, p => Assert.Equal(DirectorySeed.Epoch.AddHours(2), p.GrantedAt));
        Assert.All(detail.Products, p => Assert.Equal("Ada Lovelace", p.GrantedBy));
        Assert.Empty(detail.ApiKeys);
        Assert.Empty(detail.SignIns);
        Assert.Empty(detail.RecentActivity);
    }

    [Fact]
    public async Task GetDetail_NotEnrolled_NoMfaAndNoRecoveryCodes()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var detail = await Service.GetDetailAsync(ids["Edsger Dijkstra"]);

        Assert.NotNull(detail);
        Assert.False(detail.Mfa.Enrolled);
        Assert.Null(detail.Mfa.EnrolledAt);
        Assert.Equal(0, detail.Mfa.RecoveryCodesRemaining);
        Assert.Empty(detail.Products);
        Assert.Equal("", detail.ExternalIssuer);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(-10, false)]
    public async Task GetDetail_TotpLockout_ShownOnlyWhileItLasts(int minutesFromNow, bool locked)
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var until = DateTime.UtcNow.AddMinutes(minutesFromNow);
        await using (var db = await Store.Contexts.CreateDbContextAsync())
        {
            var id = ids["Grace Hopper"];
            await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpLockedUntil, until));
        }

        var detail = await Service.GetDetailAsync(ids["Grace Hopper"]);

        Assert.Equal(locked, detail!.Mfa.LockedUntil is not null);
        if (locked)
        {
            Assert.Equal(until, detail.Mfa.LockedUntil!.Value, TimeSpan.FromMilliseconds(1));
        }
    }

    [Fact]
    public async Task GetDetail_AuditEntries_SignInsAreAuthEntriesActivityIsEverythingNamingTheUser()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var grace = ids["Grace Hopper"].ToString();
        var ada = ids["Ada Lovelace"].ToString();
        var seeded = await Store.Get<AuditWriter>().AppendBatchAsync(
        [
            // The sign-in flow: the password check names the user as actor, the TOTP check as target.
            new AuditEvent { Category = "auth", Action = "auth.password_verified", Actor = AuditActor.User(grace, "Grace Hopper"), SourceIp = "192.0.2.10" },
            new AuditEvent { Category = "auth", Action = "totp.verified", Actor = AuditActor.User(grace, ""), TargetType = "user", TargetId = grace, SourceIp = "192.0.2.10" },
            new AuditEvent { Category = "auth", Action = "auth.signin_failed", Outcome = AuditVocabulary.Failure, Actor = AuditActor.User(grace, "Grace Hopper"), SourceIp = "198.51.100.7" },
            // Someone else's sign-in: not Grace's history.
            new AuditEvent { Category = "auth", Action = "auth.password_verified", Actor = AuditActor.User(ada, "Ada Lovelace") },
            // Grace as target of a change, and as actor of one.
            new AuditEvent { Category = "users", Action = "user.role_changed", Actor = AuditActor.User(ada, "Ada Lovelace"), TargetType = "user", TargetId = grace },
            new AuditEvent { Category = "users", Action = "user.disabled", Actor = AuditActor.User(grace, "Grace Hopper"), TargetType = "user", TargetId = ids["Alan Turing"].ToString() },
            new AuditEvent { Category = "system", Action = "system.started" },
        ]);

        var detail = await Service.GetDetailAsync(ids["Grace Hopper"]);

        Assert.NotNull(detail);
        Assert.Equal([seeded[2].Sequence, seeded[1].Sequence, seeded[0].Sequence], detail.SignIns.Select(e => e.Sequence));
        Assert.Equal(["auth.signin_failed", "totp.verified", "auth.password_verified"], detail.SignIns.Select(e => e.Action));
        Assert.Equal("failure", detail.SignIns[0].Outcome);
        Assert.Equal("198.51.100.7", detail.SignIns[0].SourceIp);
        Assert.Equal(seeded[0].Timestamp, detail.SignIns[2].Timestamp);
        Assert.Equal([seeded[5].Sequence, seeded[4].Sequence, seeded[2].Sequence, seeded[1].Sequence, seeded[0].Sequence], detail.RecentActivity.Select(e => e.Sequence));
        Assert.Equal(ada, detail.RecentActivity[1].ActorId);
        Assert.Equal(grace, detail.RecentActivity[1].TargetId);
    }

    [Fact]
    public async Task GetDetail_ManyEntries_NewestTwentyOfTargetAndActorMerged()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var grace = ids["Grace Hopper"].ToString();
        var other = ids["Alan Turing"].ToString();
        // 30 entries alternating: Grace as target (even), Grace as actor (odd); 25 of them in category auth.
        var events = Enumerable.Range(0, 30).Select(i => new AuditEvent
        {
            Category = i < 5 ? "users" : "auth",
            Action = $"test.entry_{i:D2}",
            Actor = AuditActor.User(i % 2 == 0 ? other : grace, ""),
            TargetType = "user",
            TargetId = i % 2 == 0 ? grace : other,
        });
        var seeded = await Store.Get<AuditWriter>().AppendBatchAsync([.. events]);

        var detail = await Service.GetDetailAsync(ids["Grace Hopper"]);

        Assert.NotNull(detail);
        Assert.Equal(seeded.Reverse().Take(UserDirectoryService.DetailEntries).Select(e => e.Sequence), detail.RecentActivity.Select(e => e.Sequence));
        Assert.Equal(seeded.Reverse().Take(UserDirectoryService.DetailEntries).Select(e => e.Sequence), detail.SignIns.Select(e => e.Sequence));
        Assert.All(detail.SignIns, e => Assert.Equal("auth", e.Category));
    }

    [Fact]
    public async Task GetPage_EveryBlnsStringAsDisplayName_FoundByItselfAsSearch()
    {
        var strings = BigListOfNaughtyStrings.Load()
            .Where(s => s.Trim().Length > 0) // an empty search is no search
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var ids = await DirectorySeed.SeedAsync(Store, strings.Select((s, i) => new SeedUser(s, $"blns{i}@example.test")));

        var failures = new List<string>();
        foreach (var naughty in strings)
        {
            // Short strings ("a", "1") match many users: look through every page of the result.
            var found = false;
            for (var index = 0; !found; index++)
            {
                var page = await Service.GetPageAsync(new UserQuery { Search = naughty, PageIndex = index, PageSize = UserQuery.MaxPageSize });
                found = page.Rows.Any(r => r.Id == ids[naughty] && r.DisplayName == naughty);
                if (page.Rows.Count < UserQuery.MaxPageSize)
                {
                    break;
                }
            }

            if (!found)
            {
                failures.Add(naughty);
            }
        }

        Assert.True(failures.Count == 0, $"Not found by their own text: {string.Join(" | ", failures.Select(f => System.Text.Json.JsonSerializer.Serialize(f)))}");
        Assert.True(strings.Count >= BigListOfNaughtyStrings.Sample.Length - 1, $"only {strings.Count} strings were tried");
    }

    private static List<string> Names(UserPage page) => [.. page.Rows.Select(r => r.DisplayName)];
}
