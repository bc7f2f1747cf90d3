using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>The registrations of the running portal (AddUsersCore from AddAdminCore, AddUsers from AddAdminServices).</summary>
public sealed class UsersFeatureTests(AdminAppFactory factory) : IClassFixture<AdminAppFactory>
{
    [Fact]
    public void Services_Portal_OneSessionRevocationsSharedWithTheCoreAndAServicePerCircuit()
    {
        // One instance: a revocation raised by the core must reach the circuits' authentication state providers.
        Assert.Single(factory.Services.GetServices<SessionRevocations>());
        // The licensing feature's catalog replaces the "no license" default, for grants and the API alike.
        Assert.IsType<LicenseCatalog>(factory.Services.GetRequiredService<ILicenseSeats>());
        Assert.Same(factory.Services.GetRequiredService<ILicenseSeats>(), factory.Services.GetRequiredService<ILicenseEntitlements>());
        using var first = factory.Services.CreateScope();
        using var second = factory.Services.CreateScope();
        Assert.NotSame(first.ServiceProvider.GetRequiredService<UserManagementService>(), second.ServiceProvider.GetRequiredService<UserManagementService>());
        Assert.Same(factory.Services.GetRequiredService<UserManagementCore>(), first.ServiceProvider.GetRequiredService<UserManagementCore>());
    }
}
