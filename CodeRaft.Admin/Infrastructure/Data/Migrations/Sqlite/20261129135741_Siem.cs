using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Sqlite
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
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    endpoint = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    format = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    structured_data_id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    products = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    categories = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    outcomes = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    trusted_ca_pem = table.Column<string>(type: "TEXT", maxLength: 65536, nullable: false),
                    hec_index = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    hec_source_type = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    hec_acknowledgments = table.Column<bool>(type: "INTEGER", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    client_certificate_pfx = table.Column<byte[]>(type: "BLOB", nullable: true),
                    secret = table.Column<byte[]>(type: "BLOB", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_siem_targets", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "siem_delivery",
                columns: table => new
                {
                    target_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    cursor = table.Column<long>(type: "INTEGER", nullable: false),
                    delivered = table.Column<long>(type: "INTEGER", nullable: false),
                    last_success_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_attempt_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_error_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    consecutive_failures = table.Column<int>(type: "INTEGER", nullable: false)
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
