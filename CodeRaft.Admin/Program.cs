using CodeRaft.Admin.Cli;
using CodeRaft.Admin.Infrastructure.Hosting;

// One binary: a command (docs/cli.md) runs the CLI; no command runs the server.
if (CliApp.IsCommand(args))
{
    return await CliApp.RunAsync(args);
}

WebApplication app;
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddAdminServices(); // may refuse a setting (e.g. an unknown Authentication:Mode)
    app = builder.Build();
    await app.InitializeAdminAsync();
}
catch (AdminStartupException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return ex.ExitCode;
}

app.UseAdminPipeline();
app.MapAdmin();
await app.RunAsync();
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
