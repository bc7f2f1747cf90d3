using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>POST /api/v1/audit/events: 201 with sequences after the commit; every kind of bad input a 400/413/415 problem and nothing written.</summary>
public sealed class ApiAuditIngestTests : IClassFixture<AdminAppFactory>, IAsyncLifetime
{
    private readonly AdminAppFactory _factory;
    private readonly ApiTestClient _api;
    private string _key = "";
    private string _identifier = "";

    public ApiAuditIngestTests(AdminAppFactory factory)
    {
        _factory = factory;
        _api = new ApiTestClient(factory);
    }

    public async Task InitializeAsync()
    {
        var created = await _api.CreateKeyAsync(ApiKeyScopes.AuditWrite);
        (_key, _identifier) = (created.Key, created.Identifier);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private IDbContextFactory<AdminDbContext> Contexts => _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

    private async Task<long> CountAsync()
    {
        await using var db = await Contexts.CreateDbContextAsync();
        return await db.AuditEntries.LongCountAsync();
    }

    /// <summary>Posts the body and expects a 400 problem, with nothing written.</summary>
    private async Task<System.Text.Json.JsonElement> RefusedAsync(string json, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var before = await CountAsync();
        using var response = await _api.PostEventsAsync(_key, json);
        var problem = await ApiTestClient.ProblemAsync(response, status);
        Assert.Equal(before, await CountAsync());
        return problem;
    }

    /// <summary>One event with only the required fields and <paramref name="field"/> (raw JSON, escapes kept as written).</summary>
    private static string MinimalEventWith(string field) =>
        "[{\"product\":\"ravenscan\",\"category\":\"scans\",\"action\":\"scan.completed\",\"outcome\":\"success\",\"actorType\":\"user\"," + field + "}]";

    private static string[] ErrorsAt(System.Text.Json.JsonElement problem, string path) =>
        [.. problem.GetProperty("errors").GetProperty(path).EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task Ingest_ValidBatch_201WithSequencesOfStoredEntriesThatVerify()
    {
        var batch = new JsonArray(ApiTestClient.Event(1), ApiTestClient.Event(2, "entraguard"), ApiTestClient.Event(3, "redfox-bastion"));
        batch[2]!["details"]!["password"] = "hunter2"; // redacted before hashing, like every other entry

        using var response = await _api.PostEventsAsync(_key, batch.ToJsonString());

        var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.Created);
        var sequences = body.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64()).ToList();
        Assert.Equal(3, body.GetProperty("count").GetInt32());
        Assert.Equal([sequences[0], sequences[0] + 1, sequences[0] + 2], sequences);
        Assert.Equal($"/api/v1/audit/events?after={sequences[0] - 1}&limit=3", response.Headers.Location?.OriginalString);
        await using var db = await Contexts.CreateDbContextAsync();
        var stored = await db.AuditEntries.AsNoTracking().Where(e => sequences.Contains(e.Sequence)).OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["ravenscan", "entraguard", "redfox-bastion"], stored.Select(e => e.Product));
        Assert.All(stored, e => Assert.Equal(("scans", "scan.completed", "success", "user", "192.0.2.10", "host"), (e.Category, e.Action, e.Outcome, e.ActorType, e.SourceIp, e.TargetType)));
        Assert.Equal(["u-1", "u-2", "u-3"], stored.Select(e => e.ActorId));
        var details = JsonNode.Parse(stored[0].Details)!;
        Assert.Equal(1, details["findings"]!.GetValue<int>());
        Assert.Equal(_identifier, details["_ingest"]!["key"]!.GetValue<string>());
        Assert.DoesNotContain("hunter2", stored[2].Details, StringComparison.Ordinal);
        Assert.True((await _factory.Services.GetRequiredService<AuditVerifier>().VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Ingest_OptionalFieldsAbsentOrNull_StoredAsEmptyWithEmptySourceIp()
    {
        var json = """[{"product":"ravenscan","category":"scans","action":"scan.started","outcome":"success","actorType":"system","actorId":null}]""";

        using var response = await _api.PostEventsAsync(_key, json);

        var sequence = (await ApiTestClient.JsonAsync(response, HttpStatusCode.Created)).GetProperty("sequences")[0].GetInt64();
        await using var db = await Contexts.CreateDbContextAsync();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == sequence);
        Assert.Equal(("", "", "", "", ""), (entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId));
        Assert.Equal(_identifier, JsonNode.Parse(entry.Details)!["_ingest"]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ingest_1000Events_201()
    {
        using var response = await _api.PostEventsAsync(_key, ApiTestClient.Batch(1000));

        Assert.Equal(1000, (await ApiTestClient.JsonAsync(response, HttpStatusCode.Created)).GetProperty("sequences").GetArrayLength());
    }

    [Fact]
    public async Task Ingest_1001Events_400NamingTheLimit()
    {
        var problem = await RefusedAsync(ApiTestClient.Batch(1001));

        Assert.Equal("A request carries 1 to 1000 events; this one has 1001.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Ingest_EmptyArray_400()
    {
        var problem = await RefusedAsync("[]");

        Assert.Contains("this one has 0", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"product\":\"ravenscan\"}", "not an object")]
    [InlineData("\"events\"", "not a string")]
    public async Task Ingest_NotAnArray_400(string json, string expected)
    {
        var problem = await RefusedAsync(json);

        Assert.Contains("must be a JSON array", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[{\"product\":\"ravenscan\",")]
    [InlineData("[{'product':'ravenscan'}]")]
    [InlineData("")]
    [InlineData("[1,]")]
    public async Task Ingest_MalformedJson_400SayingSo(string json)
    {
        var problem = await RefusedAsync(json);

        Assert.StartsWith("The body is not valid JSON:", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_DetailsNestedDeeperThan32_400Malformed()
    {
        var batch = new JsonArray(ApiTestClient.Event(0));
        var json = batch.ToJsonString().Replace("\"profile\":\"full\"", "\"deep\":" + new string('[', 40) + new string(']', 40), StringComparison.Ordinal);

        var problem = await RefusedAsync(json);

        Assert.Contains("depth", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_MissingRequiredFields_400NamingIndexAndField()
    {
        var batch = new JsonArray(ApiTestClient.Event(0), ApiTestClient.Event(1));
        batch[1]!.AsObject().Remove("action");
        batch[1]!.AsObject().Remove("actorType");

        var problem = await RefusedAsync(batch.ToJsonString());

        Assert.Equal(["is required."], ErrorsAt(problem, "$[1].action"));
        Assert.Equal(["is required."], ErrorsAt(problem, "$[1].actorType"));
        Assert.Equal("Nothing was written: $[1].action is required. (1 more in 'errors').", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("product", "5", "must be a string, not a number.")]
    [InlineData("category", "true", "must be a string, not a boolean.")]
    [InlineData("outcome", "null", "must be a string, not null.")]
    [InlineData("targetId", "[\"a\"]", "must be a string, not an array.")]
    [InlineData("details", "\"x\"", "must be a JSON object, not a string.")]
    [InlineData("details", "[]", "must be a JSON object, not an array.")]
    public async Task Ingest_WrongType_400NamingThePath(string field, string value, string message)
    {
        var batch = JsonNode.Parse(ApiTestClient.Batch(1))!.AsArray();
        batch[0]!.AsObject().Remove(field);
        var json = batch.ToJsonString().Replace("[{", "[{\"" + field + "\":" + value + ",", StringComparison.Ordinal);

        var problem = await RefusedAsync(json);

        Assert.Equal([message], ErrorsAt(problem, $"$[0].{field}"));
    }

    [Theory]
    [InlineData("severity")]
    [InlineData("Product")] // names are case-sensitive: a near miss is not quietly ignored
    [InlineData("actor_type")]
    public async Task Ingest_UnknownField_400NamingTheField(string field)
    {
        var batch = new JsonArray(ApiTestClient.Event(0), ApiTestClient.Event(1));
        batch[1]![field] = "high";

        var problem = await RefusedAsync(batch.ToJsonString());

        Assert.Contains("is not a field of an event", ErrorsAt(problem, $"$[1].{field}").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_DuplicateField_400()
    {
        var json = ApiTestClient.Batch(1).Replace("[{", "[{\"outcome\":\"denied\",", StringComparison.Ordinal);

        var problem = await RefusedAsync(json);

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("The body is not valid JSON: ", detail, StringComparison.Ordinal);
        Assert.Contains("outcome", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"a\":{\"b\":1,\"b\":2}}")]
    [InlineData("{\"list\":[{\"c\":1,\"c\":2}]}")]
    public async Task Ingest_DuplicateNameInDetails_400NotValidJson(string details)
    {
        var json = MinimalEventWith("\"details\":" + details);

        var problem = await RefusedAsync(json);

        Assert.StartsWith("The body is not valid JSON: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"actorName\":\"\\ud800\"", "$[0].actorName")]
    [InlineData("\"targetId\":\"a\\udc00b\"", "$[0].targetId")]
    [InlineData("\"details\":{\"note\":\"\\ud800\"}", "$[0].details.note")]
    [InlineData("\"details\":{\"deep\":[1,{\"x\":\"\\udfff\"}]}", "$[0].details.deep[1].x")]
    public async Task Ingest_LoneSurrogateEscape_400NamingThePath(string field, string path)
    {
        var problem = await RefusedAsync(MinimalEventWith(field));

        Assert.Equal(["is not valid Unicode text."], ErrorsAt(problem, path));
    }

    [Theory]
    [InlineData("\"details\":{\"\\ud800\":1}")]
    [InlineData("\"\\udc00x\":1")]
    public async Task Ingest_LoneSurrogateEscapeInAFieldName_400(string field)
    {
        var problem = await RefusedAsync(MinimalEventWith(field));

        Assert.Equal("The body has a field name that is not valid Unicode text (a lone UTF-16 surrogate escape).", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("product", "admin", "must be one of entraguard, ravenscan, redfox-bastion")]
    [InlineData("product", "RavenScan", "must be one of entraguard, ravenscan, redfox-bastion")]
    [InlineData("outcome", "maybe", "outcome must be success, failure or denied.")]
    [InlineData("actorType", "robot", "actorType must be one of")]
    [InlineData("action", "Scan Completed", "dotted lowercase verb")]
    [InlineData("actorName", "evil\nname", "control characters")]
    public async Task Ingest_ValueOutsideTheRules_400NamingTheField(string field, string value, string expected)
    {
        var batch = new JsonArray(ApiTestClient.Event(0));
        batch[0]![field] = value;

        var problem = await RefusedAsync(batch.ToJsonString());

        Assert.Contains(expected, ErrorsAt(problem, $"$[0].{field}").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_ReservedDetailsKey_400()
    {
        var batch = new JsonArray(ApiTestClient.Event(0));
        batch[0]!["details"]!["_ingest"] = new JsonObject { ["key"] = "crk_forged000" };

        var problem = await RefusedAsync(batch.ToJsonString());

        Assert.Contains("is reserved", ErrorsAt(problem, "$[0].details._ingest").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_ManyFaults_ErrorsCappedAndCounted()
    {
        var batch = new JsonArray([.. Enumerable.Range(0, 300).Select(i => (JsonNode)new JsonObject { ["x"] = i })]);

        var problem = await RefusedAsync(batch.ToJsonString());

        Assert.Equal(100, problem.GetProperty("errors").EnumerateObject().Count());
        Assert.Contains("the first 100 are listed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_TenMegabyteBody_413Problem()
    {
        var before = await CountAsync();
        var body = "[" + string.Join(',', Enumerable.Repeat(ApiTestClient.Event(0).ToJsonString(), 40_000)) + "]";
        Assert.True(Encoding.UTF8.GetByteCount(body) > 10_000_000);

        using var response = await _api.PostEventsAsync(_key, body);

        var problem = await ApiTestClient.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("4194304 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Ingest_TenMegabyteChunkedBody_413Problem()
    {
        var content = new StreamContent(new MemoryStream(new byte[10 * 1024 * 1024]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/audit/events") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        request.Headers.TransferEncodingChunked = true;

        using var response = await _api.Http.SendAsync(request);

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Ingest_NotJsonContentType_415Problem(string? mediaType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ApiTestClient.Batch(1)));
        if (mediaType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        using var response = await _api.SendAsync(HttpMethod.Post, "/api/v1/audit/events", _key, content);

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Ingest_KeyWithoutAuditWrite_403ProblemAndNothingWritten()
    {
        var reader = await _api.CreateKeyAsync(ApiKeyScopes.AuditRead, ApiKeyScopes.UsersRead, ApiKeyScopes.LicensesRead);
        var before = await CountAsync();

        using var response = await _api.PostEventsAsync(reader.Key, ApiTestClient.Batch(1));

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Ingest_NoKey_401Problem()
    {
        using var response = await _api.SendAsync(HttpMethod.Post, "/api/v1/audit/events", null,
            new StringContent(ApiTestClient.Batch(1), Encoding.UTF8, "application/json"));

        await ApiTestClient.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Ingest_EventNamingAPortalKeyOrUser_KeptInTheLogButNotInTheirActivity()
    {
        // A product key may report any actor and target; it must not be able to plant lines in the console's views
        // of a portal key's activity or a user's sign-ins.
        var victim = await _api.CreateKeyAsync(ApiKeyScopes.UsersRead);
        var forged = MinimalEventWith($"\"actorId\":\"{Guid.NewGuid()}\",\"targetType\":\"apikey\",\"targetId\":\"{victim.Identifier}\"")
            .Replace("\"category\":\"scans\",\"action\":\"scan.completed\"", "\"category\":\"apikeys\",\"action\":\"apikey.revoked\"", StringComparison.Ordinal);
        using var response = await _api.PostEventsAsync(_key, forged);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var activity = await _factory.Services.GetRequiredService<ApiKeyManagementCore>().ActivityAsync(victim.Id);

        Assert.NotNull(activity);
        Assert.Equal(["apikey.created"], activity.Entries.Select(e => e.Action));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Product == "ravenscan" && e.TargetId == victim.Identifier));
    }
}

