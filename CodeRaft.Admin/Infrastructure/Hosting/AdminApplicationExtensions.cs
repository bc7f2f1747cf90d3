using CodeRaft.Admin.Components;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace CodeRaft.Admin.Infrastructure.Hosting;

public static class AdminApplicationExtensions
{
    /// <summary>Runs <see cref="AdminRuntime"/>; a configuration problem becomes one sentence and an exit code.</summary>
    public static async Task InitializeAdminAsync(this WebApplication app) =>
        await AdminRuntime.InitializeAsync(app.Services, app.Lifetime.ApplicationStopping);

    public static WebApplication UseAdminPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            // A friendly page with a request id; no stack trace leaves the server.
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseHsts();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        // Liveness answers without touching dependencies; readiness checks the database and the key ring.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
