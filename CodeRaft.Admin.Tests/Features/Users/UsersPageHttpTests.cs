using System.Net;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Users;

/// <summary>/users as the server answers it (prerendered, before any circuit): the page, not its data, and never an error.</summary>
public sealed class UsersPageHttpTests(SignedInAdminAppFactory factory) : IClassFixture<SignedInAdminAppFactory>
{
    [Theory]
    [InlineData("")]
    [InlineData("?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&role=%3Cimg%20src%3Dx%3E")]
    public async Task Get_Users_RendersThePageShell(string query)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/users" + query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>Users · CodeRaft Admin</title>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"users-search\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"users-grid\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UsersSignedOut_RedirectedToSignIn()
    {
        using var anonymous = new AdminAppFactory();
        using var client = anonymous.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync("/users");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/signin", response.Headers.Location?.OriginalString.Replace("http://localhost", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
