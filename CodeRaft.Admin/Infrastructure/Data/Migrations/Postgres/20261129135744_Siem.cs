using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Siem : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "siem_targets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    endpoint = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    format = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    structured_data_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    products = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    categories = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    outcomes = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    trusted_ca_pem = table.Column<string>(type: "character varying(65536)", maxLength: 65536, nullable: false),
                    hec_index = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    hec_source_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    hec_acknowledgments = table.Column<bool>(type: "boolean", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_by = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    client_certificate_pfx = table.Column<byte[]>(type: "bytea", nullable: true),
                    secret = table.Column<byte[]>(type: "bytea", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_siem_targets", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "siem_delivery",
                columns: table => new
                {
                    target_id = table.Column<Guid>(type: "uuid", nullable: false),
                    cursor = table.Column<long>(type: "bigint", nullable: false),
                    delivered = table.Column<long>(type: "bigint", nullable: false),
                    last_success_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_attempt_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_error_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    consecutive_failures = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_siem_delivery", x => x.target_id);
                    table.ForeignKey(
                        name: "FK_siem_delivery_siem_targets_target_id",
                        column: x => x.target_id,
                        principalTable: "siem_targets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_siem_targets_name",
                table: "siem_targets",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "siem_delivery");

            migrationBuilder.DropTable(
                name: "siem_targets");
        }
    }
}
