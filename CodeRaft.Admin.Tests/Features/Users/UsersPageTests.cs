using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Features.Users.Directory;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.Features.Users.Directory;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Users;

/// <summary>The Users page over a real store (SQLite file, key ring, migrations) and the real directory service.</summary>
public sealed class UsersPageTests : AdminBunitContext, IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-users-ui");

    private TestStore Store { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        Store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        AddFallbackServices(services =>
        {
            services.AddSingleton(new UserDirectoryService(Store.Contexts, TimeProvider.System));
            // The circuit's user is nobody the store knows, so the page is read-only here (UsersPageActionsTests has the actions).
            StepUpUser.AddCircuitServices(services, Store, Guid.NewGuid(), TimeProvider.System)
                .AddSingleton(Store.Get<UserManagementCore>())
                .AddSingleton<UserManagementService>()
                .AddSingleton(Store.Get<ILicenseSeats>());
        });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public void Route_EverySignedInRole_NoRoleRestriction()
    {
        // PRODUCT.md: Viewers read lists. The page asks for a full sign-in (password and TOTP), not for a role.
        var authorize = typeof(UsersPage).GetCustomAttributes(typeof(AuthorizeAttribute), inherit: true).Cast<AuthorizeAttribute>().ToList();
        Assert.Equal([CodeRaft.Admin.Security.Authentication.AdminClaims.FullySignedInPolicy, CodeRaft.Admin.Security.Authorization.AdminPolicies.UsersRead],
            authorize.Select(a => a.Policy ?? "").Order(StringComparer.Ordinal).ToArray());
        Assert.All(authorize, a => Assert.Null(a.Roles));
        Assert.Equal(Enum.GetValues<CodeRaft.Admin.Features.Users.AdminRole>(),
            CodeRaft.Admin.Security.Authorization.AdminPermissions.RolesWith(CodeRaft.Admin.Security.Authorization.AdminPermission.ReadUsers).Order().ToArray());
        Assert.Equal("/users", Assert.Single(typeof(UsersPage).GetCustomAttributes(typeof(RouteAttribute), inherit: false).Cast<RouteAttribute>()).Template);
    }

    [Fact]
    public async Task Render_SeededUsers_RowsByNameWithCountAndColumns()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);

        var page = Render<UsersPage>();

        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));
        Assert.Equal(["Ada Lovelace", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Grace Hopper", "Jürgen Müller", "Katherine Johnson"], Names(page));
        Assert.Equal("7 users", page.Find("#users-count").TextContent.Trim());
        var ada = Row(page, ids["Ada Lovelace"]);
        Assert.Equal("lovelace@example.test", ada.QuerySelector("[data-col=email]")!.TextContent);
        Assert.Equal("Owner", ada.QuerySelector("[data-col=role]")!.TextContent.Trim());
        Assert.Equal("Active", ada.QuerySelector("[data-col=status]")!.TextContent.Trim());
        Assert.Equal("true", ada.QuerySelector("[data-col=mfa]")!.GetAttribute("data-mfa"));
        Assert.Equal(["entraguard", "ravenscan"], ada.QuerySelectorAll("[data-product]").Select(p => p.GetAttribute("data-product")));
        Assert.Equal("2026-01-15 09:30", ada.QuerySelector("[data-col=last-sign-in]")!.TextContent);
        Assert.Equal("2026-01-05 09:30", ada.QuerySelector("[data-col=created]")!.TextContent);
        Assert.Equal("Never", Row(page, ids["Alan Turing"]).QuerySelector("[data-col=last-sign-in]")!.TextContent);
        Assert.Empty(page.FindAll("#users-error"));
    }

    [Fact]
    public async Task Render_NoUsers_SaysSo()
    {
        var page = Render<UsersPage>();

        page.WaitForAssertion(() => Assert.Equal("No users yet.", page.Find("#users-empty").TextContent));
        Assert.Equal("0 users", page.Find("#users-count").TextContent.Trim());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Search_Typed_ShowsMatchingRowsAndClearFilters()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        page.Find("#users-search").Input("MÜLLER");

        page.WaitForAssertion(() => Assert.Equal(["Jürgen Müller"], Names(page)), TimeSpan.FromSeconds(5));
        Assert.Equal("1 user", page.Find("#users-count").TextContent.Trim());

        page.WaitForElement("#users-clear"); // the page shows it once the search has reached it
        await page.InvokeAsync(() => page.Find("#users-clear").Click());
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));
    }

    [Fact]
    public async Task Search_NoMatch_SaysNoUsersMatch()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        Search(page, "nobody-by-that-name");

        page.WaitForAssertion(() => Assert.Equal("No users match these filters.", page.Find("#users-empty").TextContent));
    }

    [Theory]
    [InlineData("users-filter-role", "Administrator", new[] { "Alan Turing", "Grace Hopper" })]
    [InlineData("users-filter-status", "Disabled", new[] { "Alan Turing" })]
    [InlineData("users-filter-product", "RedFox Bastion", new[] { "Grace Hopper" })]
    [InlineData("users-filter-mfa", "Not enrolled", new[] { "Alan Turing", "Edsger Dijkstra", "Katherine Johnson" })]
    public async Task Filter_Selected_ShowsOnlyMatchingRows(string select, string item, string[] expected)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var (host, page) = RenderWithPopovers();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        Select(host, select, item);

        page.WaitForAssertion(() => Assert.Equal(expected, Names(page)));
    }

    [Fact]
    public async Task Filter_RoleProductAndSearch_Combined()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var (host, page) = RenderWithPopovers();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        Select(host, "users-filter-role", "Administrator");
        Select(host, "users-filter-product", "EntraGuard");
        page.WaitForAssertion(() => Assert.Equal(["Alan Turing"], Names(page)));
        Search(page, "hopper");

        page.WaitForAssertion(() => Assert.Equal("No users match these filters.", page.Find("#users-empty").TextContent));
    }

    [Fact]
    public async Task Sort_EmailHeaderClickedTwice_AscendingThenDescending()
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        SortBy(page, "E-mail");
        page.WaitForAssertion(() => Assert.Equal("Edsger Dijkstra", Names(page)[0]));
        Assert.Equal(["Edsger Dijkstra", "Grace Hopper", "Katherine Johnson", "Barbara Liskov", "Ada Lovelace", "Jürgen Müller", "Alan Turing"], Names(page));

        SortBy(page, "E-mail");
        page.WaitForAssertion(() => Assert.Equal("Alan Turing", Names(page)[0]));
    }

    [Fact]
    public async Task Paging_NextPage_ShowsTheRestAndFilterReturnsToFirstPage()
    {
        await DirectorySeed.SeedAsync(Store, Enumerable.Range(0, 30).Select(i => new SeedUser($"User {i:D2}", $"user{i:D2}@example.test",
            Role: i % 3 == 0 ? AdminRole.Auditor : AdminRole.Viewer)));
        var (host, page) = RenderWithPopovers();
        page.WaitForAssertion(() => Assert.Equal(25, Rows(page).Count));
        Assert.Equal("User 00", Names(page)[0]);

        page.Find("button[aria-label='Next page']").Click();
        page.WaitForAssertion(() => Assert.Equal(["User 25", "User 26", "User 27", "User 28", "User 29"], Names(page)));

        Select(host, "users-filter-role", "Auditor");
        page.WaitForAssertion(() => Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"User {i * 3:D2}")], Names(page)));
    }

    [Fact]
    public async Task OpenUser_RowClicked_DrawerShowsEverySection()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var grace = ids["Grace Hopper"].ToString();
        var seeded = await Store.Get<AuditWriter>().AppendBatchAsync(
        [
            new AuditEvent { Category = "auth", Action = "auth.password_verified", Actor = AuditActor.User(grace, "Grace Hopper"), SourceIp = "192.0.2.10" },
            new AuditEvent { Category = "auth", Action = "totp.verified", Actor = AuditActor.User(grace, ""), TargetType = "user", TargetId = grace, SourceIp = "192.0.2.10" },
            new AuditEvent { Category = "users", Action = "user.role_changed", Actor = AuditActor.User(ids["Ada Lovelace"].ToString(), "Ada Lovelace"), TargetType = "user", TargetId = grace },
        ]);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        page.Find($"[data-open=\"{grace}\"]").Click();

        var detail = page.WaitForElement("#user-detail");
        Assert.Equal(grace, detail.GetAttribute("data-user-id"));
        Assert.Equal("Grace Hopper", page.Find("#user-detail-name").TextContent);
        Assert.Equal("hopper@navy.example", page.Find("#user-detail [data-field=email]").TextContent);
        Assert.Equal("Administrator", page.Find("#user-detail [data-field=role]").TextContent.Trim());
        Assert.Contains("Local account", page.Find("#user-detail [data-field=sign-in-method]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("#user-detail [data-section=mfa] [data-mfa=enrolled]"));
        Assert.Equal(["redfox-bastion"], page.FindAll("#user-detail [data-section=products] [data-product]").Select(p => p.GetAttribute("data-product")));
        Assert.Equal("This user has not created any API keys.", page.Find("#user-detail [data-section=api-keys] [data-empty]").TextContent);
        Assert.Equal([Seq(seeded[1].Sequence), Seq(seeded[0].Sequence)],
            page.FindAll("#user-detail [data-section=sign-ins] tr[data-seq]").Select(r => r.GetAttribute("data-seq")));
        Assert.Equal([Seq(seeded[2].Sequence), Seq(seeded[1].Sequence), Seq(seeded[0].Sequence)],
            page.FindAll("#user-detail [data-section=activity] tr[data-seq]").Select(r => r.GetAttribute("data-seq")));
        Assert.Equal($"audit?seq={Seq(seeded[2].Sequence)}", page.Find("#user-detail [data-section=activity] tr[data-seq] a").GetAttribute("href"));
        Assert.Equal($"audit?actor={grace}", page.Find("#user-detail [data-link=as-actor]").GetAttribute("href"));
    }

    [Fact]
    public async Task OpenUser_NoActivityNoProducts_SaysSoInEachSection()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        page.Find($"[data-open=\"{ids["Edsger Dijkstra"]}\"]").Click();

        page.WaitForElement("#user-detail");
        Assert.NotNull(page.Find("#user-detail [data-mfa=not-enrolled]"));
        Assert.Equal("No product access.", page.Find("#user-detail [data-section=products] [data-empty]").TextContent);
        Assert.Equal("No sign-in recorded.", page.Find("#user-detail [data-section=sign-ins] [data-empty]").TextContent);
        Assert.Equal("No audit entries name this user.", page.Find("#user-detail [data-section=activity] [data-empty]").TextContent);
        Assert.Equal("Never", page.Find("#user-detail [data-field=last-sign-in]").TextContent);
    }

    [Fact]
    public async Task OpenUser_RemovedMeanwhile_SaysItNoLongerExists()
    {
        var ids = await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));
        await using (var db = await Store.Contexts.CreateDbContextAsync())
        {
            db.Users.Remove(await db.Users.FindAsync(ids["Alan Turing"]) ?? throw new InvalidOperationException());
            await db.SaveChangesAsync();
        }

        page.Find($"[data-open=\"{ids["Alan Turing"]}\"]").Click();

        page.WaitForAssertion(() => Assert.Equal("This user no longer exists.", page.Find("#users-detail-error").TextContent));
    }

    public static TheoryData<string> MarkupNames { get; } = new()
    {
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "\"><svg/onload=alert(1)>",
        "&lt;b&gt;not bold&lt;/b&gt;",
        "\u202eresU evil",
    };

    [Theory]
    [MemberData(nameof(MarkupNames))]
    public async Task MarkupInNameAndEmail_RenderedAsTextInGridAndDrawer(string naughty)
    {
        var ids = await DirectorySeed.SeedAsync(Store, new SeedUser(naughty, $"{naughty}@example.test", Products: [Product.Ravenscan]));
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Single(Rows(page)));

        Assert.Equal(naughty, Names(page)[0]);
        Assert.Equal($"{naughty}@example.test", page.Find("[data-col=email]").TextContent);
        page.Find($"[data-open=\"{ids[naughty]}\"]").Click();
        page.WaitForElement("#user-detail");

        Assert.Equal(naughty, page.Find("#user-detail-name").TextContent);
        Assert.Equal($"{naughty}@example.test", page.Find("#user-detail [data-field=email]").TextContent);
        AssertNoInjectedMarkup(page);
        if (naughty.Contains('<', StringComparison.Ordinal))
        {
            Assert.Contains("&lt;", page.Find("[data-col=name]").InnerHtml, StringComparison.Ordinal);
            Assert.Contains("&lt;", page.Find("#user-detail-name").InnerHtml, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> BadSearches { get; } = new()
    {
        { "10 kB", new string('x', 10 * 1024) },
        { "control characters", "\u0000\u0001\u0007\u001b[31m\b\u007f" },
        { "lone surrogate", "Ada\uD800" },
        { "SQL", "'; DROP TABLE users; --" },
        { "wildcards only", "%_%\\" },
    };

    [Theory]
    [MemberData(nameof(BadSearches))]
    public async Task Search_BadInput_EmptyResultNoErrorAndThePageStaysUsable(string name, string search)
    {
        await DirectorySeed.SeedAsync(Store, DirectorySeed.Standard);
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));

        Search(page, search);

        page.WaitForAssertion(() => Assert.Equal("No users match these filters.", page.Find("#users-empty").TextContent));
        Assert.True(page.FindAll("#users-error").Count == 0, name);
        Search(page, "Ada");
        page.WaitForAssertion(() => Assert.Equal(["Ada Lovelace"], Names(page)));
    }

    [Fact]
    public async Task EveryBlnsString_AsNameAndAsSearch_FoundAsTextNeverFails()
    {
        var strings = BigListOfNaughtyStrings.Load().Where(s => s.Trim().Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var ids = await DirectorySeed.SeedAsync(Store, strings.Select((s, i) => new SeedUser(s, $"blns{i}@example.test")));
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Rows(page).Count));
        AssertNoInjectedMarkup(page);

        var notShown = new List<string>();
        foreach (var naughty in strings)
        {
            var id = ids[naughty].ToString();
            var loads = Loads(page);
            Search(page, naughty);
            page.WaitForAssertion(() => Assert.True(Loads(page) > loads));

            Assert.Empty(page.FindAll("#users-error"));
            AssertNoInjectedMarkup(page);
            // Short strings match many users and theirs may be on a later page; the rest must show it, as text.
            var row = page.FindAll($"[data-open=\"{id}\"] [data-col=name]").SingleOrDefault();
            if (row is null ? Total(page) <= 25 : row.TextContent != naughty)
            {
                notShown.Add(naughty);
            }
        }

        Assert.True(notShown.Count == 0, $"Not shown as text by their own search: {string.Join(" | ", notShown.Select(s => System.Text.Json.JsonSerializer.Serialize(s)))}");
        Assert.True(strings.Count >= BigListOfNaughtyStrings.Sample.Length - 1, $"only {strings.Count} strings were tried");
    }

    /// <summary>The page next to a popover provider, where MudSelect renders its list.</summary>
    private (IRenderedComponent<IComponent> Host, IRenderedComponent<UsersPage> Page) RenderWithPopovers()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudBlazor.MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<UsersPage>(1);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<UsersPage>());
    }

    /// <summary>Opens the MudSelect whose input has <paramref name="inputId"/> and clicks the item with the given text.</summary>
    private static void Select(IRenderedComponent<IComponent> host, string inputId, string item)
    {
        host.InvokeAsync(() => host.Find($"#{inputId}").Closest(".mud-input-control")!.MouseDown()).GetAwaiter().GetResult();
        host.WaitForAssertion(() => Assert.Contains(host.FindAll(".mud-popover-open .mud-list-item"), e => e.TextContent.Trim() == item));
        host.InvokeAsync(() => host.FindAll(".mud-popover-open .mud-list-item").First(e => e.TextContent.Trim() == item).Click()).GetAwaiter().GetResult();
    }

    /// <summary>Types into the search box and leaves it: the blur commits the text without waiting for the debounce.</summary>
    /// <remarks>Find and dispatch run together on the renderer: a render in between (the page settling after the
    /// previous answer) would leave the found element's handler stale.</remarks>
    private static void Search(IRenderedComponent<UsersPage> page, string text)
    {
        page.InvokeAsync(() => page.Find("#users-search").Input(text)).GetAwaiter().GetResult();
        page.InvokeAsync(() => page.Find("#users-search").Blur()).GetAwaiter().GetResult();
    }

    /// <summary>Clicks the sort control of the column headed <paramref name="title"/>.</summary>
    private static void SortBy(IRenderedComponent<UsersPage> page, string title) =>
        page.FindAll("#users-grid th").First(th => th.TextContent.Contains(title, StringComparison.Ordinal))
            .QuerySelector(".sortable-column-header")!.Click();

    private static IReadOnlyList<IElement> Rows(IRenderedComponent<UsersPage> page) => page.FindAll("#users-grid tbody tr:has([data-open])");

    private static IElement Row(IRenderedComponent<UsersPage> page, Guid id) => page.Find($"[data-open=\"{id}\"]").Closest("tr")!;

    private static List<string> Names(IRenderedComponent<UsersPage> page) => [.. page.FindAll("#users-grid [data-col=name]").Select(e => e.TextContent)];

    /// <summary>The number of the directory answer on screen; 0 while the grid still shows an older one.</summary>
    private static int Loads(IRenderedComponent<UsersPage> page) =>
        int.TryParse(page.Find("#users-count").GetAttribute("data-load"), System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : 0;

    private static int Total(IRenderedComponent<UsersPage> page) => int.Parse(page.Find("#users-count").GetAttribute("data-total") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Seq(long sequence) => sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whatever the text was, it stayed text: no element or handler came out of it.</summary>
    private static void AssertNoInjectedMarkup(IRenderedComponent<UsersPage> page)
    {
        Assert.Empty(page.FindAll("script"));
        Assert.Empty(page.FindAll("img"));
        Assert.Empty(page.FindAll("svg[onload]"));
        Assert.Empty(page.FindAll("[onerror]"));
        Assert.Empty(page.FindAll("[data-col=name] b, #user-detail-name b"));
    }
}
