using System.Net;
using System.Text.Json;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>GET /openapi/v1.json: anonymous, the v1 endpoints only, the Bearer scheme, problem responses.</summary>
public sealed class ApiOpenApiTests(AdminAppFactory factory) : IClassFixture<AdminAppFactory>
{
    private async Task<JsonElement> DocumentAsync()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task OpenApi_Anonymous_DocumentsEveryV1EndpointAndNothingElse()
    {
        var document = await DocumentAsync();

        var paths = document.GetProperty("paths").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateObject().Select(o => o.Name).Order().ToList());
        Assert.Equal(["/api/v1/audit/checkpoints/latest", "/api/v1/audit/events", "/api/v1/licenses", "/api/v1/users", "/api/v1/whoami"], paths.Keys.Order());
        Assert.Equal(["get", "post"], paths["/api/v1/audit/events"]);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_Operations_RequireTheBearerSchemeAndDeclareProblems()
    {
        var document = await DocumentAsync();

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var ingest = document.GetProperty("paths").GetProperty("/api/v1/audit/events").GetProperty("post");
        Assert.Contains(ingest.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("Bearer", out _));
        var responses = ingest.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
        Assert.Superset(new HashSet<string> { "201", "400", "401", "403", "413", "415", "429" }, responses.ToHashSet());
        Assert.True(ingest.GetProperty("responses").GetProperty("413").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(ingest.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var ingestEvent = document.GetProperty("components").GetProperty("schemas").GetProperty("ApiIngestEvent");
        Assert.Equal(["product", "category", "action", "outcome", "actorType"], ingestEvent.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.False(ingestEvent.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(["entraguard", "ravenscan", "redfox-bastion"], ingestEvent.GetProperty("properties").GetProperty("product").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
    }
}
