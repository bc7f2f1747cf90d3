using System.Text;
using System.Text.Encodings.Web;
using OpenIddict.Abstractions;

namespace CodeRaft.Admin.TestIdentityProvider.Internal;

/// <summary>
/// The provider's whole user interface: one button per test user, no password. The form posts the original
/// authorization request back to the authorization endpoint, so OpenIddict validates it again (PKCE included).
/// </summary>
internal static class LoginPage
{
    public const string UserParameter = "test_idp_user";
    public const string CancelParameter = "test_idp_cancel";

    public static string UserButtonTestId(string subject) => $"test-idp-user-{subject}";

    public const string CancelButtonTestId = "test-idp-cancel";

    public static string Render(OpenIddictRequest request, string action, IReadOnlyList<TestUser> users)
    {
        HtmlEncoder html = HtmlEncoder.Default;
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Test identity provider: sign in</title></head><body>");
        page.Append("<h1>Sign in</h1>");
        page.Append("<p>Test identity provider. Client: <code id=\"client-id\">")
            .Append(html.Encode(request.ClientId ?? string.Empty)).Append("</code></p>");
        page.Append("<form method=\"post\" action=\"").Append(html.Encode(action)).Append("\">");

        foreach ((string name, OpenIddictParameter value) in request.GetParameters())
        {
            if (name is UserParameter or CancelParameter)
            {
                continue;
            }

            // OpenIddict has already refused parameters sent twice, so each one is a single string here.
            if ((string?)value is { } text)
            {
                page.Append("<input type=\"hidden\" name=\"").Append(html.Encode(name))
                    .Append("\" value=\"").Append(html.Encode(text)).Append("\">");
            }
        }

        page.Append("<ul>");
        foreach (TestUser user in users)
        {
            page.Append("<li><button type=\"submit\" name=\"").Append(UserParameter)
                .Append("\" value=\"").Append(html.Encode(user.Subject))
                .Append("\" data-testid=\"").Append(html.Encode(UserButtonTestId(user.Subject))).Append("\">")
                .Append(html.Encode(user.Name)).Append(" (").Append(html.Encode(user.Email)).Append(")</button></li>");
        }

        page.Append("</ul>");
        page.Append("<button type=\"submit\" name=\"").Append(CancelParameter).Append("\" value=\"1\" data-testid=\"")
            .Append(CancelButtonTestId).Append("\">Cancel</button>");
        page.Append("</form></body></html>");
        return page.ToString();
    }

    public static string RenderSignedOut() =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Test identity provider: signed out</title></head>"
        + "<body><h1 id=\"signed-out\">You have signed out.</h1></body></html>";
}
