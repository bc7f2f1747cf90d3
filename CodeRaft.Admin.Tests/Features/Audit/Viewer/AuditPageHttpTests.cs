using System.Net;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

/// <summary>/audit as the server answers it (prerendered), whatever the query string carries.</summary>
public sealed class AuditPageHttpTests(SignedInAdminAppFactory factory) : IClassFixture<SignedInAdminAppFactory>
{
    [Theory]
    [InlineData("")]
    [InlineData("?outcome=denied&seq=7")]
    [InlineData("?category=%3Cscript%3Ealert(1)%3C%2Fscript%3E&q=%27%20OR%201%3D1%20--&from=%3Cimg%20src%3Dx%3E&seq=-1")]
    [InlineData("?seq=99999999999999999999999&to=9999-12-31T23:59&from=0001-01-01")]
    [InlineData("?outcome=%00&product=%E2%80%AE&actor=%F0%9D%95%BF")]
    public async Task Get_AuditWithAnyQuery_RendersThePageWithoutReflectingIt(string query)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/audit" + query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("Audit log", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
    }
}
