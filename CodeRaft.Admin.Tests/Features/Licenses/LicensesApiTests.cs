using System.Net;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Features.ApiKeys;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>The portal in a non-Production environment that trusts <see cref="TestLicenses.Vendor"/>'s key.</summary>
public sealed class LicensedAppFactory : AdminAppFactory
{
    public LicensedAppFactory() => EnvironmentName = "Development";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in TestLicenses.Vendor.Configuration)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary><c>GET /api/v1/licenses</c> answers from the installed, verified licenses.</summary>
public sealed class LicensesApiTests(LicensedAppFactory factory) : IClassFixture<LicensedAppFactory>
{
    private readonly ApiTestClient _api = new(factory);

    [Fact]
    public async Task Licenses_InstalledLicense_ReportsStatePlanGrantedFeaturesSeatsAndExpiry()
    {
        var payload = TestLicenses.Payload("ravenscan", maxUsers: 7, plan: "standard", features: ["web-scan", "agent-scan"]);
        var installed = await factory.Services.GetRequiredService<LicenseManagementCore>().InstallAsync(UserOperator.HostCli, TestLicenses.Vendor.Issue(payload));
        Assert.True(installed.Succeeded, installed.Message);
        var key = await _api.CreateKeyAsync(ApiKeyScopes.LicensesRead);

        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/licenses", key.Key);

        var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.OK);
        var products = body.GetProperty("products").EnumerateArray().ToList();
        Assert.False(body.GetProperty("clockRolledBack").GetBoolean());
        var ravenscan = products.Single(p => p.GetProperty("product").GetString() == "ravenscan");
        Assert.Equal("valid", ravenscan.GetProperty("state").GetString());
        Assert.Equal("standard", ravenscan.GetProperty("plan").GetString());
        Assert.Equal(["web-scan"], ravenscan.GetProperty("features").EnumerateArray().Select(f => f.GetString())); // agent-scan needs enterprise
        Assert.Equal(7, ravenscan.GetProperty("seats").GetProperty("total").GetInt32());
        Assert.Equal(payload.LicenseId.ToString(), ravenscan.GetProperty("licenseId").GetString());
        Assert.Equal(payload.ExpiresAt, ravenscan.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("unlicensed", products.Single(p => p.GetProperty("product").GetString() == "entraguard").GetProperty("state").GetString());
    }
}
