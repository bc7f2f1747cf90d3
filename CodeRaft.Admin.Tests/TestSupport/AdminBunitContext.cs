using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>The shared bUnit context (STYLE.md §13): loose JS interop, MudBlazor services, server renderer info.</summary>
public abstract class AdminBunitContext : BunitContext, IAsyncLifetime
{
    protected AdminBunitContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        AddAuthorization(); // the layout shows AuthorizeView; tests run as an anonymous visitor unless they sign in
        Services.AddSingleton<Microsoft.AspNetCore.Http.IHttpContextAccessor, Microsoft.AspNetCore.Http.HttpContextAccessor>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
