using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written (SQL only; see docs/decisions/ADR-005): the audit tables refuse UPDATE, DELETE and
            // TRUNCATE by trigger, and the role that owns them (the portal's role) loses those privileges.
            migrationBuilder.Sql("""
                CREATE FUNCTION coderaft_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'insufficient_privilege';
                END $$;
                """);
            foreach (var table in new[] { "audit_entries", "audit_checkpoints" })
            {
                migrationBuilder.Sql($"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION coderaft_audit_append_only();");
                migrationBuilder.Sql($"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION coderaft_audit_append_only();");
                migrationBuilder.Sql($"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC;");
                migrationBuilder.Sql($"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM CURRENT_USER;");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "audit_entries", "audit_checkpoints" })
            {
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_change ON {table};");
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};");
            }

            migrationBuilder.Sql("DROP FUNCTION IF EXISTS coderaft_audit_append_only();");
        }
    }
}
