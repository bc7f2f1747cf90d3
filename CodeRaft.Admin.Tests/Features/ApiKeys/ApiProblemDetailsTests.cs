using System.Net;
using System.Text;
using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.ApiKeys.Api;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>Every error under /api is a problem document (never the console's pages); licenses and health as documented.</summary>
public sealed class ApiProblemDetailsTests(AdminAppFactory factory) : IClassFixture<AdminAppFactory>
{
    private readonly ApiTestClient _api = new(factory);

    [Theory]
    [InlineData("GET", "/api/v1/nothing")]
    [InlineData("GET", "/api/v2/audit/events")]
    [InlineData("POST", "/api/v1/nothing")]
    [InlineData("DELETE", "/api")]
    public async Task UnknownAddress_404Problem(string method, string path)
    {
        using var response = await _api.SendAsync(new HttpMethod(method), path, null);

        var problem = await ApiTestClient.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("There is no API endpoint at this address.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("DELETE", "/api/v1/audit/events", "POST, GET")]
    [InlineData("PUT", "/api/v1/audit/events/", "POST, GET")]
    [InlineData("POST", "/api/v1/licenses", "GET")]
    [InlineData("POST", "/api/v1/audit/checkpoints/latest", "GET")]
    public async Task WrongMethod_405ProblemWithAllow(string method, string path, string allow)
    {
        using var response = await _api.SendAsync(new HttpMethod(method), path, null, new StringContent("[]", Encoding.UTF8, "application/json"));

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
    }

    [Fact]
    public async Task Licenses_NoLicenseInstalled_EveryProductUnlicensedWithNoSeats()
    {
        var key = await _api.CreateKeyAsync(ApiKeyScopes.LicensesRead);

        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/licenses", key.Key);

        var products = (await ApiTestClient.JsonAsync(response, HttpStatusCode.OK)).GetProperty("products").EnumerateArray().ToList();
        Assert.Equal(["entraguard", "ravenscan", "redfox-bastion"], products.Select(p => p.GetProperty("product").GetString()));
        Assert.All(products, p =>
        {
            Assert.Equal("unlicensed", p.GetProperty("state").GetString());
            Assert.Empty(p.GetProperty("features").EnumerateArray());
            Assert.Equal(0, p.GetProperty("seats").GetProperty("total").GetInt32());
            Assert.Equal(0, p.GetProperty("seats").GetProperty("used").GetInt32());
            Assert.Equal(JsonValueKind.Null, p.GetProperty("expiresAt").ValueKind);
        });
    }

    [Fact]
    public async Task Licenses_KeyWithoutLicensesRead_403Problem()
    {
        var key = await _api.CreateKeyAsync(ApiKeyScopes.UsersRead);

        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/licenses", key.Key);

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Users_KeyWithUsersRead_200List()
    {
        var key = await _api.CreateKeyAsync(ApiKeyScopes.UsersRead);

        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/users", key.Key);

        Assert.Equal(JsonValueKind.Array, (await ApiTestClient.JsonAsync(response, HttpStatusCode.OK)).ValueKind);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_NoKey_200Healthy(string path)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, path, null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Middleware_UnhandledException_500ProblemWithoutTheExceptionText()
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Request.Path = "/api/v1/audit/events";
        http.Response.Body = new MemoryStream();

        await ApiProblemResponses.WriteAsync(http, () => throw new InvalidOperationException("connection string Password=hunter2"));

        Assert.Equal(500, http.Response.StatusCode);
        Assert.Equal("application/problem+json", http.Response.ContentType);
        var body = Encoding.UTF8.GetString(((MemoryStream)http.Response.Body).ToArray());
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.Equal(http.TraceIdentifier, JsonDocument.Parse(body).RootElement.GetProperty("traceId").GetString());
    }

    [Theory]
    [InlineData(StatusCodes.Status429TooManyRequests)]
    [InlineData(StatusCodes.Status400BadRequest)]
    public async Task Middleware_BareErrorStatus_BecomesAProblem(int status)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Request.Path = "/api/v1/users";
        http.Response.Body = new MemoryStream();

        await ApiProblemResponses.WriteAsync(http, () =>
        {
            http.Response.StatusCode = status;
            return Task.CompletedTask;
        });

        Assert.Equal("application/problem+json", http.Response.ContentType);
        var problem = JsonDocument.Parse(((MemoryStream)http.Response.Body).ToArray()).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ConsolePath_UnknownAddress_StillTheConsolesAnswer()
    {
        using var response = await _api.SendAsync(HttpMethod.Post, "/no-such-page", null, new StringContent("x"));

        Assert.NotEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
