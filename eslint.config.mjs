// ESLint for the whole repository: typescript-eslint's recommended rules, tuned only where this
// code base has a reason (see each entry). `npm run lint` runs it; CI runs `npm run lint`.
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    { ignores: ["**/node_modules/**", "bin/**", "**/*.d.ts", "bench/results/**", "test/.readme-*/**"] },
    ...tseslint.configs.recommended,
    {
        rules: {
            // A leading underscore marks a value kept on purpose (a destructured field dropped from a
            // copy, an argument a callback signature requires).
            "@typescript-eslint/no-unused-vars": [
                "error",
                {
                    argsIgnorePattern: "^_",
                    varsIgnorePattern: "^_",
                    caughtErrorsIgnorePattern: "^_",
                    destructuredArrayIgnorePattern: "^_",
                    ignoreRestSiblings: true,
                },
            ],
        },
    },
    {
        // Plain CommonJS: the CLI launcher runs before any TypeScript support is loaded, and the
        // bench scripts run under plain node.
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: { sourceType: "commonjs" },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // Tests load modules with require() after installing the Pulumi mocks: a static import
        // would load them first, and import() would make every such test asynchronous.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
