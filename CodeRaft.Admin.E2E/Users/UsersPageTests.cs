using CodeRaft.Admin.E2E.Audit;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using UsersPageObject = CodeRaft.Admin.E2E.Pages.UsersPage;

namespace CodeRaft.Admin.E2E.Users;

[Collection(E2ECollection.Name)]
public sealed class UsersPageTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Markup = "<img src=x onerror=alert(1)>";

    [Fact]
    public async Task SearchFilterOpen_MarkupDisplayName_ShownAsTextAndNothingRuns()
    {
        // Users only this test knows (the portal is shared by the collection): one tag in every e-mail address.
        var tag = Guid.NewGuid().ToString("N")[..10];
        var hostile = await SeedAsync(Markup, $"{tag}-x@example.test", AdminRole.Administrator, AdminUserStatus.Active, mfa: true, Product.Ravenscan, Product.EntraGuard);
        await SeedAsync($"Dana Viewer {tag}", $"{tag}-dana@example.test", AdminRole.Viewer, AdminUserStatus.Active, mfa: false);
        await SeedAsync($"Eli Admin {tag}", $"{tag}-eli@example.test", AdminRole.Administrator, AdminUserStatus.Disabled, mfa: false, Product.EntraGuard);
        // A sign-in of the hostile user, as the password endpoint writes it: the drawer lists it.
        await app.Services.GetRequiredService<AuditWriter>().AppendAsync(new AuditEvent
        {
            Category = "auth",
            Action = "auth.password_verified",
            Actor = AuditActor.User(hostile.ToString(), Markup),
            SourceIp = "192.0.2.44",
        });

        await using var session = await browser.NewSessionAsync(app);
        var dialogs = 0;
        session.Page.Dialog += (_, _) => Interlocked.Increment(ref dialogs);
        var users = new UsersPageObject(session.Page);
        await users.GotoAsync();

        await users.SearchAsync(tag);
        await Expect(users.Rows).ToHaveCountAsync(3);
        await Expect(users.Count).ToHaveTextAsync("3 users");

        await users.FilterByRoleAsync("Administrator");
        await Expect(users.Rows).ToHaveCountAsync(2);
        await users.FilterByProductAsync("Ravenscan");
        await Expect(users.Rows).ToHaveCountAsync(1);
        await Expect(users.Names).ToHaveTextAsync([Markup]); // the markup is the text of the cell
        await Expect(session.Page.Locator("#users-grid [data-col=name] img")).ToHaveCountAsync(0);

        await users.OpenUserAsync(0);
        await Expect(users.DetailName).ToHaveTextAsync(Markup);
        await Expect(users.Section("mfa").Locator("[data-mfa=enrolled]")).ToBeVisibleAsync();
        await Expect(users.Section("products").Locator("[data-product]")).ToHaveCountAsync(2);
        await Expect(users.Section("api-keys")).ToContainTextAsync("This user has not created any API keys.");
        await Expect(users.Section("sign-ins").Locator("tr[data-seq]")).ToHaveCountAsync(1);
        await Expect(users.Section("sign-ins")).ToContainTextAsync("192.0.2.44");
        await AuditLogTests.SaveScreenshotAsync(session.Page, "users-1280-drawer.png", output);
        await users.CloseUserAsync();

        await users.ClearFiltersAsync();
        await Expect(users.Rows.First).ToBeVisibleAsync();
        await AuditLogTests.SaveScreenshotAsync(session.Page, "users-1280.png", output);

        // Nothing ran: no alert, no element made from the name anywhere on the page, no script error.
        Assert.Equal(0, dialogs);
        Assert.Equal(0, await session.Page.Locator("img[onerror]").CountAsync());
        Assert.Equal(0, await session.Page.Locator("#users-drawer img, #users-grid img").CountAsync());
        AuditLogTests.AssertNothingFailed(session);
    }

    [Fact]
    public async Task SortAndSearch_HugeOrControlCharacterInput_PageStaysLive()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        await SeedAsync($"Ann {tag}", $"{tag}-b@example.test", AdminRole.Auditor, AdminUserStatus.Active, mfa: false);
        await SeedAsync($"Bob {tag}", $"{tag}-a@example.test", AdminRole.Viewer, AdminUserStatus.Invited, mfa: false);
        await using var session = await browser.NewSessionAsync(app);
        var users = new UsersPageObject(session.Page);
        await users.GotoAsync();
        await users.SearchAsync(tag);
        await Expect(users.Names).ToHaveTextAsync([$"Ann {tag}", $"Bob {tag}"]);

        await users.SortByAsync("E-mail");
        await Expect(users.Names).ToHaveTextAsync([$"Bob {tag}", $"Ann {tag}"]);

        await users.SearchAsync(new string('%', 300) + "\u0001\u001b[31m'; DROP TABLE users; --");
        await Expect(session.Page.Locator("#users-empty")).ToHaveTextAsync("No users match these filters.");
        await Expect(session.Page.Locator("#users-error")).ToHaveCountAsync(0);

        await users.SearchAsync(tag); // the same circuit still answers
        await Expect(users.Rows).ToHaveCountAsync(2);
        await Expect(session.Page.Locator("#components-reconnect-modal")).Not.ToBeVisibleAsync();
        AuditLogTests.AssertNothingFailed(session);
    }

    /// <summary>A user straight in the store (what the invite dialog will create), with optional TOTP and product seats.</summary>
    private async Task<Guid> SeedAsync(string displayName, string email, AdminRole role, AdminUserStatus status, bool mfa, params Product[] products)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var user = AdminUser.Create(email, email, displayName, role, status, DateTime.UtcNow);
        if (mfa)
        {
            user.TotpSecret = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
            user.TotpEnabledAt = DateTime.UtcNow;
        }

        db.Users.Add(user);
        foreach (var product in products)
        {
            db.ProductAccess.Add(new ProductAccess { Id = Guid.CreateVersion7(), UserId = user.Id, Product = product, GrantedAt = DateTime.UtcNow, GrantedBy = "e2e" });
        }

        await db.SaveChangesAsync();
        return user.Id;
    }
}
