using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>The portal in-process (TestServer) on its own data directory and master secret.</summary>
public sealed class AdminAppFactory : WebApplicationFactory<Program>
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
    }

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
