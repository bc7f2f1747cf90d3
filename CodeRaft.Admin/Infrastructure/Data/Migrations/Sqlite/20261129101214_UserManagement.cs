using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRaft.Admin.Infrastructure.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UserManagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    value = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "user_invitations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    token_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    used_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_invitations", x => x.id);
                    table.ForeignKey(
                        name: "FK_user_invitations_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_product_access",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    product = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    granted_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    granted_by = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_product_access", x => x.id);
                    table.ForeignKey(
                        name: "FK_user_product_access_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_users_created_at",
                table: "users",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_users_display_name",
                table: "users",
                column: "display_name");

            migrationBuilder.CreateIndex(
                name: "IX_users_last_sign_in_at",
                table: "users",
                column: "last_sign_in_at");

            migrationBuilder.CreateIndex(
                name: "IX_users_role_status",
                table: "users",
                columns: new[] { "role", "status" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_actor_id_sequence",
                table: "audit_entries",
                columns: new[] { "actor_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_target_id_sequence",
                table: "audit_entries",
                columns: new[] { "target_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_user_invitations_token_hash",
                table: "user_invitations",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_user_invitations_user_id",
                table: "user_invitations",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "IX_user_product_access_product",
                table: "user_product_access",
                column: "product");

            migrationBuilder.CreateIndex(
                name: "IX_user_product_access_user_id_product",
                table: "user_product_access",
                columns: new[] { "user_id", "product" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "settings");

            migrationBuilder.DropTable(
                name: "user_invitations");

            migrationBuilder.DropTable(
                name: "user_product_access");

            migrationBuilder.DropIndex(
                name: "IX_users_created_at",
                table: "users");

            migrationBuilder.DropIndex(
                name: "IX_users_display_name",
                table: "users");

            migrationBuilder.DropIndex(
                name: "IX_users_last_sign_in_at",
                table: "users");

            migrationBuilder.DropIndex(
                name: "IX_users_role_status",
                table: "users");

            migrationBuilder.DropIndex(
                name: "IX_audit_entries_actor_id_sequence",
                table: "audit_entries");

            migrationBuilder.DropIndex(
                name: "IX_audit_entries_target_id_sequence",
                table: "audit_entries");
        }
    }
}
