using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>The shared bUnit context (STYLE.md §13): loose JS interop, MudBlazor services, server renderer info.</summary>
public abstract class AdminBunitContext : BunitContext, IAsyncLifetime
{
    static AdminBunitContext()
    {
        // bUnit's default of 1 s is too tight for waits on a real store while other test classes run in parallel
        // on a busy two-core runner (seen: one wait among the ~500 of the blns page test timing out). Passing
        // tests are not slowed down; a failure is reported after 5 s instead of 1 s.
        DefaultWaitTimeout = TimeSpan.FromSeconds(5);
    }

    protected AdminBunitContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Authorization = AddAuthorization(); // the layout shows AuthorizeView; tests run as an anonymous visitor unless they sign in
        Services.AddSingleton<Microsoft.AspNetCore.Http.IHttpContextAccessor, Microsoft.AspNetCore.Http.HttpContextAccessor>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private readonly List<ServiceProvider> _fallbacks = [];

    /// <summary>Who the rendered components see as signed in (SetAuthorized, SetRoles, SetClaims).</summary>
    protected Bunit.TestDoubles.BunitAuthorizationContext Authorization { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();

    /// <summary>
    /// Services a test can only create after construction (e.g. over a real store started in InitializeAsync).
    /// bUnit's provider is already built by then (SetRendererInfo resolves the renderer) and refuses new
    /// registrations, but it still consults a fallback provider; this builds one (with logging) and disposes it
    /// with the context.
    /// </summary>
    protected void AddFallbackServices(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection().AddLogging();
        configure(services);
        var provider = services.BuildServiceProvider();
        _fallbacks.Add(provider);
        Services.AddFallbackServiceProvider(provider);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        foreach (var provider in _fallbacks)
        {
            await provider.DisposeAsync();
        }
    }
}
