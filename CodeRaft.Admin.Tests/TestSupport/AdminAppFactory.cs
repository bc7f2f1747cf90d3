using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>The portal in-process (TestServer) on its own data directory and master secret.</summary>
public class AdminAppFactory : WebApplicationFactory<Program>
{
    private readonly TempDirectory _data = new("coderaft-app");

    public string MasterSecret { get; } = TestSecrets.NewMasterSecret();

    public string DataDirectory => _data.Path;

    public string EnvironmentName { get; init; } = "Production";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        builder.UseSetting("Storage:DataDirectory", _data.Path);
        builder.UseSetting("CODERAFT_MASTER_SECRET", MasterSecret);
        if (SignedIn)
        {
            // Requests arrive as a fully signed-in Owner (password and TOTP done): for tests of protected pages
            // and endpoints. The real sign-in flow is exercised end to end in the browser tests.
            builder.ConfigureTestServices(services => services
                .AddAuthentication(o =>
                {
                    o.DefaultScheme = TestSignedInHandler.SchemeName;
                    o.DefaultAuthenticateScheme = TestSignedInHandler.SchemeName;
                    o.DefaultChallengeScheme = TestSignedInHandler.SchemeName;
                })
                .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestSignedInHandler>(TestSignedInHandler.SchemeName, _ => { }));
        }
    }

    /// <summary>When true, every request is authenticated as a fully signed-in Owner.</summary>
    public bool SignedIn { get; init; }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _data.Dispose();
        }
    }
}
