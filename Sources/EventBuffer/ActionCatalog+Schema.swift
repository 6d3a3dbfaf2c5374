import Foundation

extension ActionCatalog {
    /// The JSON Schema (draft 2020-12) of a ``BrowserAction`` in the published form (``WireFormat``),
    /// generated from the declarations: one `if`/`then` per kind that names its parameters, their types,
    /// which are required and which values are allowed. Published as
    /// `Documentation/schemas/action.schema.json`, which a test keeps equal to this.
    public static var jsonSchema: String {
        var kinds: [Any] = []
        for declaration in declarations {
            var properties: [String: Any] = [:]
            for parameter in declaration.parameters { properties[parameter.name] = parameter.jsonSchema() }
            var params: [String: Any] = ["type": "object", "properties": properties, "additionalProperties": false]
            let required = declaration.parameters.filter(\.required).map(\.name)
            if !required.isEmpty { params["required"] = required }
            if !declaration.oneOf.isEmpty {
                params["allOf"] = declaration.oneOf.map { group in ["anyOf": group.map { ["required": [$0]] }] }
            }
            var then: [String: Any] = ["properties": ["params": params]]
            if !required.isEmpty || !declaration.oneOf.isEmpty { then["required"] = ["params"] }
            kinds.append(["if": ["properties": ["type": ["const": declaration.kind.rawValue]]], "then": then])
        }
        let schema: [String: Any] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "action.schema.json",
            "title": "SharedBrowser action, wire format version \(WireFormat.version)",
            "description": "One thing a participant asks the shared browser to do. Generated from the declarations "
                + "in Sources/EventBuffer/ActionCatalog.swift; Documentation/Actions.md explains each kind.",
            "type": "object",
            "required": ["type", "source"],
            "additionalProperties": false,
            "properties": [
                "version": ["type": "integer", "minimum": 1, "maximum": WireFormat.version,
                            "description": "The wire format's version; senders may leave it out."],
                "type": ["enum": declarations.map(\.kind.rawValue), "description": "What the action does."],
                "params": ["type": "object", "description": "The parameters its type takes (those set)."],
                "source": ["$ref": "#/$defs/cause"],
            ] as [String: Any],
            "allOf": kinds,
            "$defs": [
                "cause": [
                    "type": "object", "required": ["kind"], "additionalProperties": false,
                    "description": "Who asks (or, in an event, who caused it).",
                    "properties": [
                        "kind": ["enum": ["agent", "human", "system", "page"]],
                        "id": ["type": "string", "description": "The agent's or person's id; empty for system and page."],
                    ],
                ] as [String: Any],
                "storageState": [
                    "type": "object", "required": ["cookies", "origins"], "additionalProperties": false,
                    "description": "Cookies and local storage, in Playwright's storage-state form.",
                    "properties": [
                        "cookies": ["type": "array", "items": [
                            "type": "object", "additionalProperties": false,
                            "required": ["name", "value", "domain", "path", "expires", "httpOnly", "secure", "sameSite"],
                            "properties": ["name": ["type": "string"], "value": ["type": "string"], "domain": ["type": "string"],
                                           "path": ["type": "string"], "expires": ["type": "number"], "httpOnly": ["type": "boolean"],
                                           "secure": ["type": "boolean"], "sameSite": ["type": "string"]],
                        ] as [String: Any]],
                        "origins": ["type": "array", "items": [
                            "type": "object", "required": ["origin", "localStorage"], "additionalProperties": false,
                            "properties": ["origin": ["type": "string"], "localStorage": ["type": "array", "items": [
                                "type": "object", "required": ["name", "value"], "additionalProperties": false,
                                "properties": ["name": ["type": "string"], "value": ["type": "string"]],
                            ] as [String: Any]]],
                        ] as [String: Any]],
                    ] as [String: Any],
                ] as [String: Any],
            ] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: schema, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension ActionParameter {
    /// The parameter's JSON Schema: its type, summary and allowed values; a storage state is
    /// `storageState` (a reference in the published schema, a plain object in a tool's).
    package func jsonSchema(storageState: [String: Any] = ["$ref": "#/$defs/storageState"]) -> [String: Any] {
        var schema: [String: Any] = ["description": summary]
        switch type {
        case .string: schema["type"] = "string"
        case .number: schema["type"] = "number"
        case .integer: schema["type"] = "integer"
        case .boolean: schema["type"] = "boolean"
        case .strings: schema["type"] = "array"; schema["items"] = ["type": "string"]
        case .storageState: schema.merge(storageState) { $1 }
        }
        if let allowed { schema["enum"] = allowed }
        return schema
    }
}
