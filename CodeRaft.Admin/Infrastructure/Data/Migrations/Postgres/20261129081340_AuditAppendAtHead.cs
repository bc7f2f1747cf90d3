using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditAppendAtHead : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written (SQL only; ADR-005): a row may only be inserted at the head of the chain, linked to it.
            migrationBuilder.Sql("""
                CREATE FUNCTION coderaft_audit_append_at_head() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE head_sequence bigint; head_hash text;
                BEGIN
                    SELECT sequence, hash INTO head_sequence, head_hash FROM audit_entries ORDER BY sequence DESC LIMIT 1;
                    IF NEW.sequence <> COALESCE(head_sequence, 0) + 1 OR NEW.previous_hash <> COALESCE(head_hash, repeat('0', 64)) THEN
                        RAISE EXCEPTION 'audit entries are appended at the head of the chain only' USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER audit_entries_append_at_head BEFORE INSERT ON audit_entries
                    FOR EACH ROW EXECUTE FUNCTION coderaft_audit_append_at_head();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_entries_append_at_head ON audit_entries;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS coderaft_audit_append_at_head();");
        }
    }
}
