using System.Collections.Concurrent;
using System.Net;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>The server's logs, at Trace and with every structured value, never carry a key: created, used, or refused.</summary>
public sealed class ApiKeyLoggingTests
{
    [Fact]
    public async Task ServerLogs_CreateUseAndRefuseKeys_NoKeyInAnyEntry()
    {
        var capture = new LogCaptureProvider();
        await using var factory = new LogCapturingAppFactory(capture);
        using var client = factory.CreateClient();
        var core = factory.Services.GetRequiredService<ApiKeyManagementCore>();
        // audit:read only: /api/v1/users answers 403, after the key was accepted.
        var valid = (await core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "logs", Scopes = [ApiKeyScopes.AuditRead] })).Created!;
        var revoked = (await core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "logs 2", Scopes = [ApiKeyScopes.AuditRead] })).Created!;
        await core.RevokeAsync(UserOperator.HostCli, revoked.Id);
        var malformed = valid.Key[..30] + (valid.Key[30] == 'x' ? 'y' : 'x') + valid.Key[31..];
        var unknown = ApiKeyFormat.Generate();

        foreach (var (key, status) in new[] { (valid.Key, HttpStatusCode.Forbidden), (revoked.Key, HttpStatusCode.Unauthorized), (malformed, HttpStatusCode.Unauthorized), (unknown, HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
            using var response = await client.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
        }

        // The refusals were logged (the handler's failure messages), so the capture saw the authentication path.
        Assert.Contains(capture.Entries, e => e.Contains("ApiKey was not authenticated", StringComparison.Ordinal));
        foreach (var key in new[] { valid.Key, revoked.Key, malformed, unknown })
        {
            Assert.DoesNotContain(capture.Entries, e => e.Contains(key[12..], StringComparison.Ordinal));
        }
    }
}
