using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>Calls the v1 API of an in-process portal with keys created through the app's own key service.</summary>
internal sealed class ApiTestClient(AdminAppFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public HttpClient Http => _client;

    public async Task<ApiKeyCreated> CreateKeyAsync(params string[] scopes) =>
        (await factory.Services.GetRequiredService<ApiKeyManagementCore>()
            .CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "api-test", Scopes = scopes, RateLimitPerMinute = 100_000 })).Created!;

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return _client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostEventsAsync(string key, string json) =>
        SendAsync(HttpMethod.Post, "/api/v1/audit/events", key, new StringContent(json, Encoding.UTF8, "application/json"));

    public static JsonObject Event(int n = 0, string product = "ravenscan") => new()
    {
        ["product"] = product,
        ["category"] = "scans",
        ["action"] = "scan.completed",
        ["outcome"] = "success",
        ["actorType"] = "user",
        ["actorId"] = $"u-{n}",
        ["actorName"] = $"analyst{n}@corp.example",
        ["sourceIp"] = "192.0.2.10",
        ["targetType"] = "host",
        ["targetId"] = $"host-{n}",
        ["details"] = new JsonObject { ["findings"] = n, ["profile"] = "full" },
    };

    public static string Batch(int count) => new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode)Event(i))]).ToJsonString();

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }
}
