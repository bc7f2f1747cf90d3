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
        Assert.IsType<NoLicenseInstalled>(factory.Services.GetRequiredService<ILicenseSeats>());
        using var first = factory.Services.CreateScope();
        using var second = factory.Services.CreateScope();
        Assert.NotSame(first.ServiceProvider.GetRequiredService<UserManagementService>(), second.ServiceProvider.GetRequiredService<UserManagementService>());
        Assert.Same(factory.Services.GetRequiredService<UserManagementCore>(), first.ServiceProvider.GetRequiredService<UserManagementCore>());
    }
}
