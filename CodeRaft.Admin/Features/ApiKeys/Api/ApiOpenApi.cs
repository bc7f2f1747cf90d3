using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// The OpenAPI document of the v1 API at <c>GET /openapi/v1.json</c>, anonymous (it holds nothing secret): the
/// <c>/api/v1</c> endpoints only (not the console's own endpoints), the Bearer scheme on every operation, problem
/// responses as declared on the endpoints.
/// </summary>
public static class ApiOpenApi
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string SchemeName = "Bearer";

    public static IServiceCollection AddApiOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1/", StringComparison.OrdinalIgnoreCase) == true;
            // The ingest event as strictly as the parser reads it: no other fields, the closed vocabularies.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(ApiIngestEvent))
                {
                    schema.AdditionalPropertiesAllowed = false;
                    Enumerate(schema, "product", AuditIngestParser.Products);
                    Enumerate(schema, "outcome", Audit.Chain.AuditVocabulary.Outcomes);
                    Enumerate(schema, "actorType", Audit.Chain.AuditVocabulary.ActorTypes);
                }

                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "CodeRaft.Admin API",
                    Version = "v1",
                    Description = "The portal's HTTP API (docs/api.md). Send an API key as 'Authorization: Bearer crk_…'. " +
                        "Errors are RFC 9457 problem details. /healthz (liveness) and /readyz (readiness) need no key.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "crk_ API key",
                    Description = "An API key (crk_ + 49 base62 characters) with the scope the operation names.",
                };
                foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations ?? []).Select(o => o.Value))
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
                }

                return Task.CompletedTask;
            });
        });

    private static void Enumerate(OpenApiSchema schema, string property, IEnumerable<string> values)
    {
        if (schema.Properties?.TryGetValue(property, out var found) == true && found is OpenApiSchema target)
        {
            target.Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))];
        }
    }

    public static IEndpointRouteBuilder MapApiOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }
}
