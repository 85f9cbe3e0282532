package server

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/vecbolt/vecbolt/query/server/api"
)

// The OpenAPI 3 description is generated from the route table and the Go
// types of the bodies (by reflection over their JSON tags), so the
// handlers, the client's types and the document share one source.

// openapiJSON returns the description, encoded once per process.
var openapiJSON = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(OpenAPI(), "", "  ")
	if err != nil {
		panic("server: openapi: " + err.Error()) // the document is built from static Go types
	}
	return b
})

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPI returns the OpenAPI 3.0 description of every route as a JSON
// value. O(routes).
func OpenAPI() map[string]any {
	schemas := map[string]any{
		"Error": schemaOf(reflect.TypeOf(api.ErrorBody{}), nil),
	}
	paths := map[string]map[string]any{}
	codes := make([]string, 0, len(api.Codes))
	for _, c := range api.Codes {
		codes = append(codes, c.Code)
	}
	schemas["Error"].(map[string]any)["description"] = "error.code is one of: " + strings.Join(codes, ", ")
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"x-scope":     rt.Scope.String(),
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Doc, "schema": map[string]any{"type": q.Type}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Scope != Public {
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}}
		}
		switch {
		case rt.Request != nil:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ref(schemas, reflect.TypeOf(rt.Request))}}}
		case rt.RequestText != "":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				rt.RequestText: map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		ok := map[string]any{"description": "success"}
		switch {
		case rt.Response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(schemas, reflect.TypeOf(rt.Response))}}
		case rt.ResponseType != "":
			ok["content"] = map[string]any{rt.ResponseType: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		status := "200"
		switch {
		case rt.Method == "POST" && rt.Path == "/v1/collections":
			status = "201"
		case rt.Method == "DELETE" && rt.Response == nil:
			status = "204"
		}
		op["responses"] = map[string]any{
			status:    ok,
			"default": map[string]any{"description": "an error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "vecbolt",
			"version": "1",
			"description": "JSON over HTTP for one vecbolt database. Send an API key as `Authorization: Bearer KEY` " +
				"or `X-API-Key: KEY` (a server without keys listens on loopback only and needs none). " +
				"Errors are {\"error\":{\"code\",\"message\"}}. Search by text answers 422 no_embedder: " +
				"collections have no embedder in this version. x-scope says what a route needs: public (nothing), " +
				"read (any key allowed the collection), write (a read-write key) or admin (a read-write key limited to no collection).",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
}

func operationID(rt *route) string {
	p := strings.NewReplacer("/v1/", "", "/", "_", "{", "", "}", "", ".", "_").Replace(rt.Path)
	return strings.ToLower(rt.Method) + "_" + strings.Trim(p, "_")
}

// ref registers t's schema under its name and returns a reference to it.
func ref(schemas map[string]any, t reflect.Type) map[string]any {
	name := t.Name()
	if _, ok := schemas[name]; !ok {
		schemas[name] = nil // a placeholder against recursion
		schemas[name] = structSchema(t, schemas)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

var rawMessage = reflect.TypeOf(json.RawMessage{})

// schemaOf describes t as JSON encodes it; named structs go to schemas
// when schemas is not nil.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	if t == rawMessage {
		return map[string]any{"type": "object", "description": "a JSON object"}
	}
	if _, ok := t.MethodByName("MarshalJSON"); ok && t.Kind() != reflect.Struct {
		return map[string]any{"type": "number", "nullable": true}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := schemaOf(t.Elem(), schemas)
		s["nullable"] = true
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Struct:
		if schemas != nil && t.Name() != "" {
			return ref(schemas, t)
		}
		return structSchema(t, schemas)
	}
	return map[string]any{}
}

// structSchema describes a struct's JSON object.
func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	{
		props := map[string]any{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, schemas)
			names = append(names, name)
		}
		sort.Strings(names)
		return map[string]any{"type": "object", "properties": props}
	}
}
